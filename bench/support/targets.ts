import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresDatabase, deleteRedisKeys, REDIS_URL, type BenchDatabase } from './backing-services.js';
import { listeningPort, startNodeProcess } from './child-processes.js';
import { servingPid } from './process-stats.js';

const benchDirectory = fileURLToPath(new URL('..', import.meta.url));
/** The CLI users run (`npm start`): the bench always goes through it, whatever it launches. */
export const SERVER_BIN = fileURLToPath(new URL('../../server/bin/threadline-server.js', import.meta.url));

/**
 * The flags `npm start` gives node before the server's script (the `start` script of the
 * package.json two levels above `bin`): each build is measured as its users start it, a baseline
 * with its own.
 */
export function startNodeArguments(bin: string): string[] {
  const packageFile = join(dirname(bin), '../../package.json');
  const start: string = JSON.parse(readFileSync(packageFile, 'utf8')).scripts?.start ?? '';
  const words = start.split(/\s+/);
  const node = words.indexOf('node');
  const script = words.findIndex((word) => word.endsWith('threadline-server.js'));
  if (node < 0 || script < node) throw new Error(`${packageFile}: its start script does not run node on threadline-server.js`);
  return words.slice(node + 1, script);
}

/**
 * Limits raised for the bench, so that 1000 (or 10,000) concurrent runs of one user all execute
 * at once as the relay's do, instead of queueing behind the per-provider and per-user bounds.
 */
export const RAISED_LIMITS: Record<string, string> = {
  THREADLINE_CONCURRENCY: '100000',
  THREADLINE_USER_SHARE: '1',
  THREADLINE_MAX_QUEUED_RUNS: '100000',
  // Per-user limits off (0): the bench is one user at the rate of many.
  THREADLINE_LIMIT_REQUESTS_PER_MINUTE: '0',
  THREADLINE_LIMIT_RUNS_PER_MINUTE: '0',
  THREADLINE_LIMIT_ACTIVE_RUNS: '0',
  THREADLINE_LIMIT_OPEN_STREAMS: '0',
};

/** A server under load: where to send streams and which process to measure. */
export interface Target {
  /** `relay` or `threadline`. */
  kind: 'relay' | 'threadline';
  /** Base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Threadline's bearer token. */
  token?: string;
  /** The process that serves the port (what CPU and RSS are read from). */
  pid: number;
  /** What the server wrote to stderr so far (Threadline: pino JSON lines at LOG_LEVEL=warn). */
  stderr(): string;
  /** Stops the server and removes everything it stored. */
  stop(): Promise<void>;
}

/** The parent's environment without anything that would steer a server elsewhere. */
function cleanEnvironment(): Record<string, string> {
  const steering = /^(PORT|HOST|DATABASE_URL|REDIS_URL|LOG_LEVEL|THREADLINE_.*|OPENAI_.*|ANTHROPIC_.*|OLLAMA_.*|NODE_OPTIONS)$/;
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !steering.test(name)) environment[name] = value;
  }
  return environment;
}

/** The fake OpenAI-compatible provider (bench/fake-provider.mjs); its base URL ends in `/v1`. */
export async function startFakeProvider() {
  const { process: started, value: port } = await startNodeProcess([join(benchDirectory, 'fake-provider.mjs')], {
    env: cleanEnvironment(),
    ready: listeningPort,
  });
  return { baseUrl: `http://127.0.0.1:${port}/v1`, pid: started.pid, stop: () => started.stop() };
}

/** The floor (bench/relay.mjs, plain node) on a fresh SQLite file, streaming from `providerUrl`. */
export async function startRelay(providerUrl: string, nodeArguments: string[] = []): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'threadline-bench-relay-'));
  const { process: started, value: port } = await startNodeProcess([...nodeArguments, join(benchDirectory, 'relay.mjs')], {
    env: { ...cleanEnvironment(), PORT: '0', RELAY_DATA_DIR: dataDir, OPENAI_BASE_URL: providerUrl, OPENAI_API_KEY: 'bench' },
    ready: listeningPort,
  });
  return {
    kind: 'relay',
    url: `http://127.0.0.1:${port}`,
    pid: servingPid(started.pid, port),
    stderr: started.stderr,
    async stop() {
      await started.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Which store (and event log) a Threadline run uses. */
export type ThreadlineStore = 'sqlite' | 'postgres' | 'postgres+redis' | 'sqlite+redis';

const LISTENING = /Threadline listening on http:\/\/[^\s:]+:(\d+) /;

/**
 * Threadline as users run it (`node server/bin/threadline-server.js start`) on a fresh data dir,
 * a fresh PostgreSQL database and a fresh Redis prefix as `store` asks, with RAISED_LIMITS.
 */
export async function startThreadline(options: {
  store: ThreadlineStore;
  providerUrl?: string;
  environment?: Record<string, string>;
  /** Flags for node itself, after those `npm start` gives (e.g. `--cpu-prof`). */
  nodeArguments?: string[];
  /** Another build's `threadline-server.js` (default: this checkout's, SERVER_BIN). */
  bin?: string;
}): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'threadline-bench-'));
  const redisPrefix = options.store.endsWith('+redis') ? `bench-${randomUUID()}` : undefined;
  let database: BenchDatabase | undefined;
  const cleanUp = async () => {
    await database?.drop();
    if (redisPrefix) await deleteRedisKeys(redisPrefix);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (options.store.startsWith('postgres')) database = await createPostgresDatabase();
    const env = {
      ...cleanEnvironment(),
      PORT: '0',
      HOST: '127.0.0.1',
      THREADLINE_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...(options.providerUrl ? { OPENAI_BASE_URL: options.providerUrl, OPENAI_API_KEY: 'bench' } : {}),
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...(redisPrefix ? { REDIS_URL, THREADLINE_REDIS_PREFIX: redisPrefix } : {}),
      ...RAISED_LIMITS,
      ...options.environment,
    };
    // The data dir is the working directory, so no stray `.env` is read.
    const bin = options.bin ?? SERVER_BIN;
    const { process: started, value: port } = await startNodeProcess([...startNodeArguments(bin), ...(options.nodeArguments ?? []), bin, 'start'], {
      env,
      cwd: dataDir,
      ready: (stdout) => {
        const match = LISTENING.exec(stdout);
        return match ? Number(match[1]) : undefined;
      },
    });
    // The first start on an empty data dir prints the token and writes it to <dataDir>/token.
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    return {
      kind: 'threadline',
      url: `http://127.0.0.1:${port}`,
      token,
      pid: servingPid(started.pid, port),
      stderr: started.stderr,
      async stop() {
        await started.stop(20_000);
        await cleanUp();
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
