import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createThreadlineClient, type ThreadlineClient } from '../../client/src/client.js';
import { createTestDatabase, type TestDatabase } from '../../server/src/testing/databases.js';
import type { DialectName } from '../../server/src/store/open.js';
import { PATIENCE_MS } from './patience.js';

/** The CLI entry (it runs the built bundle), exactly what `npm start` runs. */
export const SERVER_BIN = fileURLToPath(new URL('../../server/bin/threadline-server.js', import.meta.url));

const LISTENING = /Threadline listening on (http:\/\/\S+) \(tRPC at /;
/** A bearer token anywhere in the output. */
export const TOKEN_PATTERN = /\btl_[A-Za-z0-9_-]{20,}/g;

/** Where and how a spawned process keeps its data. */
export interface ProcessOptions {
  /** THREADLINE_DATA_DIR (absolute). */
  dataDir: string;
  /** DATABASE_URL; undefined selects SQLite in the data dir. */
  databaseUrl?: string | undefined;
  /** More environment variables; they win over the defaults (PORT=0, no model delay, LOG_LEVEL=warn). */
  environment?: Record<string, string>;
}

/** A real `threadline-server start` child process, listening. */
export interface ServerProcess {
  /** Base URL from the listening line, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The token printed by this start, or else the one in `<dataDir>/token`. */
  token: string;
  /** The token this start printed (first start on an empty database), else undefined. */
  printedToken: string | undefined;
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Sends the signal (SIGTERM by default) and resolves with the exit code; SIGKILLs after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** SIGKILL, at once; safe to call after exit. */
  kill(): void;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A TCP port free on 127.0.0.1 now, for a server that must restart on the same address (clients reconnect to it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Children still running: the last line of defence against orphans when a worker exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The parent's environment without anything that would steer the server elsewhere. */
function baseEnvironment(): Record<string, string> {
  const steering = /^(PORT|HOST|DATABASE_URL|REDIS_URL|LOG_LEVEL|LOG_CONTENT|OTEL_.*|THREADLINE_.*|OPENAI_.*|ANTHROPIC_.*|OLLAMA_.*)$/;
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !steering.test(name)) environment[name] = value;
  }
  return environment;
}

function environmentFor(options: ProcessOptions): Record<string, string> {
  return {
    ...baseEnvironment(),
    PORT: '0',
    HOST: '127.0.0.1',
    THREADLINE_DATA_DIR: options.dataDir,
    THREADLINE_LOCAL_DELAY_MS: '0',
    LOG_LEVEL: 'warn',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.environment,
  };
}

/** Spawns the CLI with `args`; the working directory is the data dir, so no stray `.env` is read. */
function spawnCli(args: string[], options: ProcessOptions): ChildProcess {
  const child = spawn(process.execPath, [SERVER_BIN, ...args], {
    cwd: options.dataDir,
    env: environmentFor(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Starts `threadline-server start` on a free port and waits for its listening line. Kills the
 * child when it does not get there within `timeoutMs` (and reports its output).
 */
export async function startServerProcess(options: ProcessOptions & { timeoutMs?: number }): Promise<ServerProcess> {
  const child = spawnCli(['start'], options);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const output = () => `\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;

  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const timeoutMs = options.timeoutMs ?? PATIENCE_MS;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`server did not start within ${timeoutMs} ms${output()}`)), timeoutMs);
    const onData = () => {
      const match = LISTENING.exec(stdout);
      if (match) finish(undefined, match[1]);
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`server exited (code ${code}, signal ${signal}) before listening${output()}`));
    function finish(error: Error | undefined, value?: string) {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('close', onExit).off('error', finish);
      if (error) {
        kill();
        reject(error);
      } else resolve(value!);
    }
    child.stdout!.on('data', onData);
    // 'close', not 'exit': by then all of the output has been read, for the error message.
    child.once('close', onExit).once('error', finish);
  });

  // The token banner is printed before the listening line, so it is already in `stdout`.
  const printedToken = stdout.match(TOKEN_PATTERN)?.[0];
  let token = printedToken;
  if (!token) {
    try {
      token = (await readFile(join(options.dataDir, 'token'), 'utf8')).trim();
    } catch (error) {
      kill();
      throw error;
    }
  }

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = PATIENCE_MS) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const code = exited(child);
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        kill();
        reject(new Error(`server ignored ${signal} for ${timeoutMs} ms; killed${output()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([code, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    url,
    token,
    printedToken,
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    stop,
    kill,
    async [Symbol.asyncDispose]() {
      kill();
      await exited(child);
    },
  };
}

/** What a finished CLI command printed, and its exit code. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one `threadline-server` command (e.g. `['user', 'create', 'alice']`) to completion. */
export async function runCli(args: string[], options: ProcessOptions & { timeoutMs?: number }): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? PATIENCE_MS);
  // 'close' (not 'exit') so that all output has been read.
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A real server process on a fresh database of one dialect, with typed clients for it. */
export interface ProcessTarget {
  process: ServerProcess;
  database: TestDatabase;
  url: string;
  token: string;
  /** The first user's (`local`) client. */
  client: ThreadlineClient;
  clientFor(token?: string): ThreadlineClient;
  /** Stops the process (SIGKILL) and drops the database. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts `threadline-server start` as a child process on a fresh database of `dialect`. */
export async function startProcessTarget(
  options: { dialect?: DialectName; environment?: Record<string, string> } = {},
): Promise<ProcessTarget> {
  const database = await createTestDatabase(options.dialect ?? 'sqlite');
  let server: ServerProcess;
  try {
    server = await startServerProcess({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, environment: options.environment ?? {} });
  } catch (error) {
    await database.destroy();
    throw error;
  }
  const clientFor = (token?: string) => createThreadlineClient({ url: server.url, ...(token ? { token } : {}) });
  const close = async () => {
    await server[Symbol.asyncDispose]();
    await database.destroy();
  };
  return { process: server, database, url: server.url, token: server.token, client: clientFor(server.token), clientFor, close, [Symbol.asyncDispose]: close };
}
