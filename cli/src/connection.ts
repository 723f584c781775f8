import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createThreadlineClient, type ThreadlineClient } from '@threadline/client';

/** Where the CLI keeps its settings: `$XDG_CONFIG_HOME/threadline/config.json` or ~/.config/threadline. */
export function configPath(environment: NodeJS.ProcessEnv = process.env): string {
  const base = environment.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'threadline', 'config.json');
}

/** Saved settings. */
export interface SavedConfig {
  url?: string;
  token?: string;
  /** `provider/model` used when a session does not choose one. */
  model?: string;
}

export async function readSavedConfig(environment: NodeJS.ProcessEnv = process.env): Promise<SavedConfig> {
  try {
    return JSON.parse(await readFile(configPath(environment), 'utf8')) as SavedConfig;
  } catch {
    return {};
  }
}

/** Options every command takes. */
export interface ConnectionOptions {
  url?: string;
  token?: string;
}

/** A resolved server and token, and where each came from (for error messages). */
export interface Connection {
  url: string;
  /** Where the URL came from: `--url`, `THREADLINE_URL`, the saved config's path, or `the default`. */
  urlSource: string;
  token: string;
  tokenSource: string;
  client: ThreadlineClient;
}

const DEFAULT_URL = 'http://127.0.0.1:3000';

/**
 * Finds the server and token: the URL from --url, THREADLINE_URL, the saved config, else the local
 * default; the token from --token, THREADLINE_TOKEN, the saved config when it was saved for this URL
 * (`threadline login`), a local server's `data/token` (in THREADLINE_DATA_DIR or ./data), else the
 * saved config. Throws a message saying what to do when
 * there is no token.
 */
export async function resolveConnection(options: ConnectionOptions, environment: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const saved = await readSavedConfig(environment);
  const [url, urlSource] = firstOf<string>([
    [options.url, '--url'],
    [environment.THREADLINE_URL, 'THREADLINE_URL'],
    [saved.url, configPath(environment)],
  ]) ?? [DEFAULT_URL, 'the default'];
  // A token saved by `threadline login` for this very URL comes before a local data/token, which
  // belongs to whatever server runs from the current directory.
  const savedForThisUrl = saved.url !== undefined && saved.url === url;
  const candidates: [string, () => Promise<string | undefined>][] = [
    ['--token', async () => options.token],
    ['THREADLINE_TOKEN', async () => environment.THREADLINE_TOKEN],
    [configPath(environment), async () => (savedForThisUrl ? saved.token : undefined)],
    ['the local server\'s data/token', () => readToken(resolve(environment.THREADLINE_DATA_DIR ?? 'data', 'token'))],
    [configPath(environment), async () => saved.token],
  ];
  for (const [source, read] of candidates) {
    const token = (await read())?.trim();
    if (token) return { url, urlSource, token, tokenSource: source, client: createThreadlineClient({ url, token }) };
  }
  const login = url === DEFAULT_URL ? 'threadline login' : `threadline login ${url}`;
  throw new Error(
    `no token for ${url}: run \`${login}\`, pass --token, set THREADLINE_TOKEN, or run from the server's directory (data/token)`,
  );
}

/** The first value that is set (not undefined or empty), with where it came from. */
function firstOf<T>(candidates: [T | undefined, string][]): [T, string] | undefined {
  const found = candidates.find(([value]) => value !== undefined && value !== '');
  return found as [T, string] | undefined;
}

/** The server a new user most likely runs: `npm start` in a checkout. */
export { DEFAULT_URL };

async function readToken(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
