import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as prompts from '@clack/prompts';
import { createThreadlineClient } from '@threadline/client';
import { configPath, DEFAULT_URL, readSavedConfig, type ConnectionOptions } from './connection.js';
import { describeError } from './errors.js';

/** Options of `threadline login [URL]`. */
export interface LoginOptions extends ConnectionOptions {}

/**
 * `threadline login [URL]`: takes a token (--token, else asked for at a terminal, else read from
 * stdin), checks it against the server with one authenticated call, and saves the URL and token in
 * the config file (`$XDG_CONFIG_HOME/threadline/config.json`, mode 0600) that every other command
 * reads. Resolves with the exit code: 0 saved, 1 refused or unreachable, 2 no token given.
 */
export async function runLogin(urlArgument: string | undefined, options: LoginOptions): Promise<number> {
  const fail = (code: number, message: string) => (process.stderr.write(`threadline: ${message}\n`), code);
  const saved = await readSavedConfig();
  const url = (urlArgument ?? options.url ?? process.env.THREADLINE_URL ?? saved.url ?? DEFAULT_URL).replace(/\/+$/, '');
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) return fail(2, `not a server URL: ${url} (expected http://host:port)`);

  const token = (options.token ?? (await askForToken(url)))?.trim();
  if (!token) return fail(2, `no token given for ${url} (the server prints its first one at the first start, and in data/token)`);

  const where = { url, urlSource: 'the login command', tokenSource: 'the login command' };
  try {
    await createThreadlineClient({ url, token }).sessions.list.query({ limit: 1 });
  } catch (error) {
    return fail(1, describeError(error, where));
  }

  const file = configPath();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify({ ...saved, url, token }, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile keeps the mode of a file that existed
  process.stdout.write(`Logged in to ${url}; saved in ${file} (mode 0600). \`threadline\` and \`threadline ask\` use it from now on.\n`);
  return 0;
}

/** The token, asked for at a terminal (hidden), or read whole from stdin when it is a pipe. */
async function askForToken(url: string): Promise<string | undefined> {
  if (process.stdin.isTTY) {
    const answer = await prompts.password({ message: `Token for ${url} (the server's data/token, or \`threadline-server token create NAME\`)` });
    return prompts.isCancel(answer) ? undefined : answer;
  }
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.split('\n')[0];
}
