import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { sql } from 'kysely';
import { createAiSdkRoutes } from './compat/ai-sdk/index.js';
import { createOpenAIRoutes } from './compat/openai/index.js';
import { appRouter } from './routers/app.js';
import { createSseResponder } from './sse-responder.js';
import { stringifySuperjson } from './superjson-text.js';
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

/**
 * CORS for the configured origins; answers preflights itself. Returns true when it ended the response.
 */
function handleCors(request: IncomingMessage, response: ServerResponse, origins: string[]): boolean {
  const origin = request.headers.origin;
  if (origin && (origins.includes('*') || origins.includes(origin))) {
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('vary', 'origin');
    response.setHeader('access-control-allow-headers', 'authorization, content-type, last-event-id, trpc-accept, x-threadline-session-id');
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
  async function createContext(request: IncomingMessage): Promise<Context> {
    const token = bearerToken(request);
    try {
      const user = token ? ((await findUserByToken(db, token)) ?? null) : null;
      return { user, services };
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: DATABASE_UNAVAILABLE, cause: error });
      throw error;
    }
  }
  function onError(error: TRPCError, path: string | undefined): void {
    if (error.code === 'INTERNAL_SERVER_ERROR') return logger.error({ err: error.cause ?? error, path }, 'request failed');
    // A refusal whose reason only an exception gave (the client got a generic message): worth a look, unless it is bad JSON.
    const cause = unexplainedCause(error);
    if (cause && !(cause instanceof SyntaxError)) logger.warn({ err: cause, path, code: error.code }, 'request refused for an unexpected reason');
  }
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/trpc/',
    maxBodySize: config.maxBodyBytes,
    maxBatchSize: config.limits.maxBatchSize,
    createContext: ({ req }) => createContext(req),
    responseMeta: ({ errors }) => ({ headers: retryAfterHeader(errors) }),
    onError: ({ error, path }) => onError(error, path),
  });
  // Subscriptions (`GET /trpc/chat.stream` …): the same procedures, pumped without tRPC's web streams.
  const subscriptions = createSseResponder({
    router: appRouter,
    createContext,
    onError,
    errorHeaders: (error) => retryAfterHeader([error]),
    stallMs: config.limits.streamStallMs,
    // The router's output transformer is superjson (trpc.ts); this writes the same text, faster.
    serialize: stringifySuperjson,
  });

  // The OpenAI-compatible API and the AI SDK's UI message stream (compat/).
  const openAI = createOpenAIRoutes(services);
  const aiSdk = createAiSdkRoutes(services);

  const server = createServer((request, response) => {
    if (handleCors(request, response, config.corsOrigins)) return;
    const path = (request.url ?? '/').split('?')[0]!;
    if (path.startsWith('/trpc/')) {
      const procedure = decodeProcedurePath(path);
      if (procedure !== undefined && subscriptions.serves(request, procedure)) {
        subscriptions.respond(request, response, procedure).catch((error: unknown) => {
          logger.error({ err: error, path: procedure }, 'stream failed');
          response.destroy();
        });
      }
      else trpc(request, response);
    } else if (path.startsWith('/v1/')) {
      openAI(request, response, path);
    } else if (path === '/api/chat' || path.startsWith('/api/chat/')) {
      aiSdk.handle(request, response, path);
    } else if (path === '/healthz') {
      sendJson(response, 200, { ok: true });
    } else if (path === '/readyz') {
      void readiness(services).then(({ ready, reason }) => sendJson(response, ready ? 200 : 503, ready ? { ok: true } : { ok: false, reason }));
    } else {
      sendJson(response, 404, { error: 'not found' });
    }
  });
  server.on('close', () => aiSdk.close());
  return server;
}

/** How long `/readyz` waits for the database before it says 503, ms. */
const READINESS_TIMEOUT_MS = 2_000;

/** A limit's answer says when to come back, as plain HTTP clients expect it: `retry-after`, seconds. */
function retryAfterHeader(errors: TRPCError[]): Record<string, string> {
  const retryAfterMs = Math.max(0, ...errors.map((error) => retryAfterOf(error) ?? 0));
  return retryAfterMs > 0 ? { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) } : {};
}

/** The procedure path of a `/trpc/…` URL path, or undefined when it is not validly encoded (tRPC answers that). */
function decodeProcedurePath(path: string): string | undefined {
  try {
    return decodeURIComponent(path.slice('/trpc/'.length));
  } catch {
    return undefined;
  }
}

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
