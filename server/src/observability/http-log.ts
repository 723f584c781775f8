import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** Where the HTTP layer leaves what the request log line needs (pino-http sets `id`, the request id). */
export interface ObservedRequest extends IncomingMessage {
  /** The authenticated user, once the context knows them. */
  userId?: string;
}

/** An `x-request-id` a client sent that is safe to reuse: short, printable, no spaces. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** Paths whose requests are logged at debug: probes and scrapes would drown the log. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One log line per HTTP request when its response ends (a stream: when it closes): method, path
 * (never the query, which holds subscription inputs), the tRPC procedures of a `/trpc/` path,
 * status, duration, user id and request id. The request id is the client's `x-request-id` when
 * it is a sane one, else a new UUID, and is sent back in the response's `x-request-id`. Headers
 * are never logged (they hold bearer tokens).
 */
export function createHttpLogger(logger: Logger): (request: IncomingMessage, response: ServerResponse) => void {
  const middleware = pinoHttp({
    logger,
    genReqId(request, response) {
      const given = request.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      response.setHeader('x-request-id', id);
      return id;
    },
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'requestId', responseTime: 'durationMs' },
    customLogLevel(request, response, error) {
      if (error || response.statusCode >= 500) return 'error';
      return QUIET_PATHS.has(pathOf(request)) ? 'debug' : 'info';
    },
    customSuccessMessage: () => 'request completed',
    customErrorMessage: () => 'request failed',
    customSuccessObject: (request, response, fields) => requestFields(request as ObservedRequest, response, fields),
    customErrorObject: (request, response, _error, fields) => requestFields(request as ObservedRequest, response, fields),
  });
  return (request, response) => middleware(request, response);
}

/** The fields of a request's line. */
function requestFields(request: ObservedRequest, response: ServerResponse, fields: Record<string, unknown>): Record<string, unknown> {
  const path = pathOf(request);
  // `requestId` is the line's binding (pino-http's child logger).
  return {
    method: request.method,
    path,
    ...(path.startsWith('/trpc/') ? { procedure: procedureOf(path) } : {}),
    status: response.statusCode,
    durationMs: fields.durationMs,
    userId: request.userId ?? null,
    ...(response.writableFinished ? {} : { aborted: true }),
  };
}

function pathOf(request: IncomingMessage): string {
  return (request.url ?? '/').split('?')[0]!;
}

/** `/trpc/a.b,c.d` → `a.b,c.d` (a batch names every procedure). */
function procedureOf(path: string): string {
  const encoded = path.slice('/trpc/'.length);
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/**
 * Warns once per origin (up to 100 origins, then at debug) that CORS refused a browser's request,
 * naming THREADLINE_CORS_ORIGINS; same-origin requests (a page the server serves) are not refused.
 */
export function corsRefusalLogger(logger: Logger, allowed: string[]): (origin: string, host: string | undefined) => void {
  const warned = new Set<string>();
  return (origin, host) => {
    if (host && URL.canParse(origin) && new URL(origin).host === host) return;
    const fields = { origin, THREADLINE_CORS_ORIGINS: allowed.join(',') };
    const message = 'CORS refused a browser origin: add it to THREADLINE_CORS_ORIGINS to allow it';
    if (warned.has(origin) || warned.size >= 100) return logger.debug(fields, message);
    warned.add(origin);
    logger.warn(fields, message);
  };
}
