import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { sql } from 'kysely';
import { createAiSdkRoutes } from './compat/ai-sdk/index.js';
import { createOpenAIRoutes } from './compat/openai/index.js';
import { appRouter } from './routers/app.js';
import { createDocsRoutes } from './docs/docs-routes.js';
import { createSseResponder } from './sse-responder.js';
import { stringifySuperjson } from './superjson-text.js';
import type { Services } from './services.js';
import { contextForToken } from './request-context.js';
import { retryAfterOf, unexplainedCause, type Context } from './trpc.js';
import { corsRefusalLogger, createHttpLogger, type ObservedRequest } from './observability/http-log.js';
import { serveMetrics } from './observability/metrics-endpoint.js';
import { version } from './version.js';
import { IdleMemoryRelease } from './idle-memory.js';

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
 * CORS for the configured origins; answers preflights itself. Returns true when it ended the
 * response. An origin it does not allow is told to `refused` (the log says so).
 */
function handleCors(request: IncomingMessage, response: ServerResponse, origins: string[], refused: (origin: string, host: string | undefined) => void): boolean {
  const origin = request.headers.origin;
  if (origin && !(origins.includes('*') || origins.includes(origin))) refused(origin, request.headers.host);
  else if (origin) {
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('vary', 'origin');
    response.setHeader('access-control-allow-headers', 'authorization, content-type, last-event-id, trpc-accept, x-request-id, x-threadline-session-id');
    // A page may read the request id (to quote it when reporting a problem) and when to come back.
    response.setHeader('access-control-expose-headers', 'x-request-id, retry-after');
    response.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    response.setHeader('access-control-max-age', '600');
  }
  if (request.method === 'OPTIONS') {
    response.writeHead(204).end();
    return true;
  }
  return false;
}

/** Threadline's HTTP routes as one Node request handler, to serve or to mount in a server of yours. */
export interface RequestHandler {
  /**
   * Serves a request (`(request, response, next)` fits Express's and Connect's `use`, and a plain
   * `node:http` server). A path that is not Threadline's goes to `next` when given, else gets a 404.
   */
  (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void): void;
  /** Streams open now (for the metrics). */
  openStreams(): number;
  /** Lets go of what the routes hold (the AI SDK endpoint's resume timers). */
  close(): void;
}

/**
 * The HTTP server: `/trpc/*` (queries and mutations, batched; subscriptions over SSE), `/healthz`
 * (process alive) and `/readyz` (database answers) for load balancers, `/openapi.json` and `/docs`.
 */
export function createHttpServer(services: Services): Server {
  const handler = createRequestHandler(services);
  const server = createServer((request, response) => handler(request, response));
  services.metrics.watch({
    queues: () => services.engine.status().queues,
    waitingForApproval: () => services.engine.status().waiting,
    openStreams: () => handler.openStreams(),
  });
  const idleMemory = new IdleMemoryRelease({
    isIdle: () => {
      if (handler.openStreams() > 0) return false;
      const { active, queued } = services.engine.status();
      return active + queued === 0;
    },
    growthBytes: services.config.idleGcBytes,
    heldBytes: () => services.log.endedMemory(),
    logger: services.logger,
  });
  server.on('listening', () => idleMemory.start());
  server.on('close', () => {
    idleMemory.stop();
    handler.close();
  });
  return server;
}

/**
 * Every HTTP route of Threadline as one handler: what `createHttpServer` serves, and what an
 * embedding program mounts in its own server (`createThreadline(…).handler`). Paths are read from
 * `request.url`, so a framework that strips a mount prefix (Express's `app.use('/chat', …)`) works.
 */
export function createRequestHandler(services: Services): RequestHandler {
  const { config, logger } = services;
  const logRequest = createHttpLogger(logger);
  const corsRefused = corsRefusalLogger(logger, config.corsOrigins);
  async function createContext(request: ObservedRequest): Promise<Context> {
    const context = await contextForToken(services, bearerToken(request));
    if (context.user) request.userId = context.user.id;
    return request.id !== undefined ? { ...context, requestId: String(request.id) } : context;
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
  // The API reference: `/openapi.json` and the `/docs` page.
  const docs = createDocsRoutes(appRouter, { version });

  // The OpenAI-compatible API and the AI SDK's UI message stream (compat/).
  const openAI = createOpenAIRoutes(services);
  const aiSdk = createAiSdkRoutes(services);

  /** The paths Threadline answers; mounted in another server, the rest are that server's. */
  const ours = (path: string) =>
    path.startsWith('/trpc/') || docs.serves(path) || path.startsWith('/v1/') || path === '/api/chat' || path.startsWith('/api/chat/') ||
    path === '/healthz' || path === '/readyz' || (path === '/metrics' && config.metrics.enabled);

  const handle = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (next && !ours(path)) return next();
    logRequest(request, response);
    if (handleCors(request, response, config.corsOrigins, corsRefused)) return;
    if (path.startsWith('/trpc/')) {
      const procedure = decodeProcedurePath(path);
      if (procedure !== undefined && subscriptions.serves(request, procedure)) {
        subscriptions.respond(request, response, procedure).catch((error: unknown) => {
          logger.error({ err: error, path: procedure }, 'stream failed');
          response.destroy();
        });
      }
      else trpc(request, response);
    } else if (docs.serves(path)) {
      docs.respond(request, response, path);
    } else if (path.startsWith('/v1/')) {
      openAI(request, response, path);
    } else if (path === '/api/chat' || path.startsWith('/api/chat/')) {
      aiSdk.handle(request, response, path);
    } else if (path === '/healthz') {
      sendJson(response, 200, { ok: true });
    } else if (path === '/readyz') {
      void readiness(services).then(({ ready, reason }) => sendJson(response, ready ? 200 : 503, ready ? { ok: true } : { ok: false, reason }));
    } else if (path === '/metrics' && config.metrics.enabled) {
      serveMetrics(request, response, services.metrics, config.metrics.token).catch((error: unknown) => {
        logger.error({ err: error }, 'could not collect metrics');
        if (!response.headersSent) sendJson(response, 500, { error: 'could not collect metrics' });
      });
    } else {
      sendJson(response, 404, { error: 'not found' });
    }
  };
  return Object.assign(handle, { openStreams: () => subscriptions.openStreams(), close: () => aiSdk.close() });
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
