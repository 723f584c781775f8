import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { sql } from 'kysely';
import { appRouter } from './routers/app.js';
import type { Services } from './services.js';
import { isDatabaseUnavailable } from './store/availability.js';
import { findUserByToken } from './store/users.js';
import { DATABASE_UNAVAILABLE, retryAfterOf, unexplainedCause, type Context } from './trpc.js';

/** The bearer token of a request, if any. */
function bearerToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** How soon an SSE client reconnects after losing its stream (EventSource's default is 3 s). */
export const SSE_RECONNECT_MS = 500;

/**
 * Starts every SSE response with a `retry:` field, so a client whose connection dropped comes back
 * (and resumes from its last event id) after SSE_RECONNECT_MS instead of EventSource's default 3 s.
 * tRPC writes the stream itself, so this hooks the response's first write.
 */
function adviseReconnectDelay(response: ServerResponse, stallMs: number): void {
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  response.write = ((...args: unknown[]) => {
    response.write = write as ServerResponse['write'];
    if (!String(response.getHeader('content-type') ?? '').startsWith('text/event-stream')) return write(...args);
    write(`retry: ${SSE_RECONNECT_MS}\n\n`);
    closeWhenStalled(response, stallMs);
    return write(...args);
  }) as ServerResponse['write'];
}

/**
 * Backpressure for event streams: tRPC waits for `drain` before it writes more, so a reader that
 * stops reading costs a socket's buffers, not more; one that stays stalled for `stallMs` while
 * events wait is closed, freeing those too. A reader that comes back resumes from its last event id.
 */
function closeWhenStalled(response: ServerResponse, stallMs: number): void {
  const check = setInterval(() => {
    if (response.writableNeedDrain && Date.now() - stalledSince >= stallMs) response.destroy();
  }, Math.min(1_000, stallMs));
  check.unref();
  let stalledSince = Date.now();
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  response.write = ((...args: unknown[]) => {
    const wasStalled = response.writableNeedDrain;
    const written = write(...args);
    if (!written && !wasStalled) stalledSince = Date.now();
    return written;
  }) as ServerResponse['write'];
  response.once('close', () => clearInterval(check));
}

/**
 * CORS for the configured origins; answers preflights itself. Returns true when it ended the response.
 */
function handleCors(request: IncomingMessage, response: ServerResponse, origins: string[]): boolean {
  const origin = request.headers.origin;
  if (origin && (origins.includes('*') || origins.includes(origin))) {
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('vary', 'origin');
    response.setHeader('access-control-allow-headers', 'authorization, content-type, last-event-id, trpc-accept');
    response.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    response.setHeader('access-control-max-age', '600');
  }
  if (request.method === 'OPTIONS') {
    response.writeHead(204).end();
    return true;
  }
  return false;
}

/**
 * The HTTP server: `/trpc/*` (queries and mutations, batched; subscriptions over SSE), `/healthz`
 * (process alive) and `/readyz` (database answers) for load balancers.
 */
export function createHttpServer(services: Services): Server {
  const { config, logger, db } = services;
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: config.maxBodyBytes,
    maxBatchSize: config.limits.maxBatchSize,
    async createContext({ req }): Promise<Context> {
      const token = bearerToken(req);
      try {
        const user = token ? ((await findUserByToken(db, token)) ?? null) : null;
        return { user, services };
      } catch (error) {
        if (isDatabaseUnavailable(error)) throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: DATABASE_UNAVAILABLE, cause: error });
        throw error;
      }
    },
    // A limit's answer says when to come back, as plain HTTP clients expect it.
    responseMeta({ errors }) {
      const retryAfterMs = Math.max(0, ...errors.map((error) => retryAfterOf(error) ?? 0));
      return retryAfterMs > 0 ? { headers: { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) } } : {};
    },
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') return logger.error({ err: error.cause ?? error, path }, 'request failed');
      // A refusal whose reason only an exception gave (the client got a generic message): worth a look, unless it is bad JSON.
      const cause = unexplainedCause(error);
      if (cause && !(cause instanceof SyntaxError)) logger.warn({ err: cause, path, code: error.code }, 'request refused for an unexpected reason');
    },
  });

  return createServer((request, response) => {
    if (handleCors(request, response, config.corsOrigins)) return;
    const path = (request.url ?? '/').split('?')[0]!;
    if (path.startsWith('/trpc/')) {
      adviseReconnectDelay(response, config.limits.streamStallMs);
      trpc(request, response);
    } else if (path === '/healthz') {
      sendJson(response, 200, { ok: true });
    } else if (path === '/readyz') {
      void readiness(services).then(({ ready, reason }) => sendJson(response, ready ? 200 : 503, ready ? { ok: true } : { ok: false, reason }));
    } else {
      sendJson(response, 404, { error: 'not found' });
    }
  });
}

/** How long `/readyz` waits for the database before it says 503, ms. */
const READINESS_TIMEOUT_MS = 2_000;

/** Ready while the database answers within a bound and its writes go through. */
async function readiness(services: Services): Promise<{ ready: boolean; reason?: string }> {
  const failure = services.storeHealth.failure();
  if (failure) return { ready: false, reason: `database writes fail since ${failure.since.toISOString()}` };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), READINESS_TIMEOUT_MS)));
  try {
    const answer = await Promise.race([sql`select 1`.execute(services.db).then(() => 'ok' as const), timeout]);
    return answer === 'ok' ? { ready: true } : { ready: false, reason: 'the database does not answer' };
  } catch {
    return { ready: false, reason: 'the database does not answer' };
  } finally {
    clearTimeout(timer);
  }
}
