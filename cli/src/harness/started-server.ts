import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A Threadline server this command started for its scenarios, in a temporary data dir. */
export interface StartedServer {
  url: string;
  token: string;
  /** Stops it (SIGTERM, then SIGKILL) and removes its data dir. */
  stop(): Promise<void>;
}

/** How long a started server may take to answer /readyz. */
const START_TIMEOUT_MS = 30_000;

/**
 * Starts `threadline-server start` (from the installed `@threadline/server`, or THREADLINE_SERVER_BIN)
 * on a free port of 127.0.0.1 with `environment` added, SQLite in a fresh temporary data dir, and
 * waits until /readyz answers. Its first user's token is read from the data dir.
 */
export async function startServer(environment: Record<string, string>): Promise<StartedServer> {
  const bin = serverBin();
  const dataDir = await mkdtemp(join(tmpdir(), 'threadline-run-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(process.execPath, [bin, 'start'], {
    env: { ...process.env, DATABASE_URL: '', REDIS_URL: '', ...environment, PORT: String(port), HOST: '127.0.0.1', THREADLINE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const stop = async () => {
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(url, child, () => output);
    const token = (await readFile(join(dataDir, 'token'), 'utf8')).trim();
    return { url, token, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function serverBin(): string {
  if (process.env.THREADLINE_SERVER_BIN) return resolve(process.env.THREADLINE_SERVER_BIN);
  try {
    const manifest = createRequire(import.meta.url).resolve('@threadline/server/package.json');
    return join(dirname(manifest), 'bin', 'threadline-server.js');
  } catch {
    throw new Error('--start-server needs @threadline/server installed next to the CLI (npm install @threadline/server), or THREADLINE_SERVER_BIN');
  }
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} before it was ready:\n${output().trim()}`);
    const ready = await fetch(`${url}/readyz`).then((response) => response.ok, () => false);
    if (ready) return;
    await sleep(100);
  }
  throw new Error(`the server was not ready within ${START_TIMEOUT_MS / 1000} s:\n${output().trim()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** A TCP port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}
