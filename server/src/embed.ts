import type { Server } from 'node:http';
import { isTrackedEnvelope } from '@trpc/server';
import { loadConfig } from './config.js';
import { ensurePrivateDir } from './data-dir.js';
import { createRequestHandler, type RequestHandler } from './http.js';
import { appRouter } from './routers/app.js';
import { createServices, type Services } from './services.js';
import { createToken, createUser, findUserByName, type AuthUser } from './store/users.js';
import { createCallerFactory } from './trpc.js';
import { attachWebSocket, type WebSocketTransport } from './websocket.js';

/** How an embedded Threadline is set up; anything else as the environment variables of the README. */
export interface ThreadlineOptions {
  /** Where SQLite and the instance id live (THREADLINE_DATA_DIR; default ./data). */
  dataDir?: string;
  /** `postgres://…` for PostgreSQL instead of SQLite (DATABASE_URL). */
  databaseUrl?: string;
  /** The default `provider/model` (THREADLINE_MODEL). */
  model?: string;
  /**
   * Settings by their environment variable names (`OPENAI_API_KEY`, `THREADLINE_AGENTS_FILE`,
   * `LOG_LEVEL`, …). Default: this process's environment; the options above win over it.
   */
  environment?: Record<string, string | undefined>;
}

/** The typed API of a user, called in-process: the same procedures as over HTTP. */
export type ThreadlineCaller = ReturnType<typeof callerFactory>;

const callerFactory = createCallerFactory(appRouter);

/** Threadline running inside your program. */
export interface Threadline {
  /**
   * The typed API as `user` (created on first use; default `local`), without HTTP: queries and
   * mutations are async functions, subscriptions (`chat.stream`, `runs.events`, `sessions.events`)
   * async iterables of `{ id, data }`, as the HTTP client's `onData` receives them. A stream ends
   * with its run, when the loop breaks, or when `signal` (default: this Threadline's `close`) aborts.
   */
  caller(user?: string, options?: { signal?: AbortSignal }): Promise<ThreadlineCaller>;
  /** A bearer token for `user` (created on first use), for clients of the mounted handler. */
  createToken(user?: string, label?: string): Promise<string>;
  /**
   * Every HTTP route (`/trpc/*`, `/api/chat`, `/v1/*`, `/docs`, `/healthz`, …) as one Node handler:
   * `http.createServer(threadline.handler)`, or `app.use(threadline.handler)` in Express, where
   * other paths go on to the app's own routes.
   */
  handler: RequestHandler;
  /**
   * Serves the WebSocket transport on your server's port, at `path` (default `/trpc`; with the
   * handler mounted under `/prefix`, `/prefix/trpc`).
   */
  attachWebSocket(server: Server, options?: { path?: string }): WebSocketTransport;
  /** Ends runs (letting them finish for up to `graceMs`), closes the database and what the handler holds. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts Threadline in this process (the store migrated, providers, agents, the run engine), with
 * no server of its own: call it through `caller`, or mount `handler` in a server you run.
 */
export async function createThreadline(options: ThreadlineOptions = {}): Promise<Threadline> {
  const config = loadConfig({
    ...(options.environment ?? process.env),
    ...(options.dataDir ? { THREADLINE_DATA_DIR: options.dataDir } : {}),
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(options.model ? { THREADLINE_MODEL: options.model } : {}),
  });
  ensurePrivateDir(config.dataDir);
  const services = await createServices(config);
  const handler = createRequestHandler(services);
  const sockets: WebSocketTransport[] = [];
  /** Aborted by `close`: ends the streams of every caller. */
  const lifetime = new AbortController();
  let closing: Promise<void> | undefined;
  return {
    async caller(user = 'local', callerOptions = {}) {
      const signal = callerOptions.signal ? AbortSignal.any([callerOptions.signal, lifetime.signal]) : lifetime.signal;
      return streamsAsData(callerFactory({ user: await userNamed(services, user), services }, { signal }));
    },
    async createToken(user = 'local', label = 'embedded') {
      return (await createToken(services.db, (await userNamed(services, user)).id, label)).token;
    },
    handler,
    attachWebSocket(server, socketOptions = {}) {
      const transport = attachWebSocket(server, services, socketOptions.path);
      sockets.push(transport);
      return transport;
    },
    close(graceMs = 0) {
      closing ??= (async () => {
        await services.close(graceMs);
        lifetime.abort();
        await Promise.all(sockets.map((socket) => socket.close()));
        handler.close();
      })();
      return closing;
    },
  };
}

/** The user of that name, created when there is none. */
async function userNamed(services: Services, name: string): Promise<AuthUser> {
  const found = (await findUserByName(services.db, name)) ?? (await createUser(services.db, name).catch(async (error: unknown) => {
    // Created meanwhile by another call: use that one.
    const again = await findUserByName(services.db, name);
    if (!again) throw error;
    return again;
  }));
  return { id: found.id, name: found.name, operator: false };
}

/**
 * The caller, with the items of its streams as `{ id, data }` (what its type says, and what the
 * HTTP client's `onData` gets) rather than tRPC's internal `tracked()` envelopes.
 */
function streamsAsData<T extends object>(caller: T): T {
  const wrap = (target: object): object =>
    new Proxy(target, {
      // Not a thenable: `await caller` must give the caller itself.
      get: (object, key) => (key === 'then' ? undefined : wrap(Reflect.get(object, key) as object)),
      apply: (procedure, self, args) => Promise.resolve(Reflect.apply(procedure as (...values: unknown[]) => unknown, self, args)).then(dataItems),
    });
  return wrap(caller) as T;
}

/** An async iterable's tracked envelopes as `{ id, data }`; anything else as it is. */
function dataItems(result: unknown): unknown {
  if (typeof result !== 'object' || result === null || !(Symbol.asyncIterator in result)) return result;
  const iterable = result as AsyncIterable<unknown>;
  return {
    [Symbol.asyncIterator]() {
      const inner = iterable[Symbol.asyncIterator]();
      return {
        async next() {
          const item = await inner.next();
          if (item.done || !isTrackedEnvelope(item.value)) return item;
          const [id, data] = item.value;
          return { done: false, value: { id, data } };
        },
        async return() {
          return (await inner.return?.()) ?? { done: true, value: undefined };
        },
      };
    },
  };
}
