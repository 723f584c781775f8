import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import type { ThreadlineErrorData } from '@threadline/shared';
import { DomainError, type DomainErrorKind } from './errors.js';
import { guardedInput } from './input-guard.js';
import type { Services } from './services.js';
import { isDatabaseUnavailable } from './store/availability.js';
import type { AuthUser } from './store/users.js';

/**
 * The context of every call. `services` is typed `unknown` here on purpose: the context type is
 * part of the exported AppRouter type, and keeping server internals (Kysely, pino) out of it keeps
 * the client package's declarations self-contained. `withServices` below gives procedures the real type.
 */
export interface Context {
  user: AuthUser | null;
  services: unknown;
  /** The HTTP request's id (`x-request-id`), for the logs of what the call starts. */
  requestId?: string;
}

/** Who may call a procedure: anyone, any user with a token, or an operator (a token made with `--operator`). */
export type ProcedureAccess = 'public' | 'user' | 'operator';

/** Procedure metadata; the API document (docs/openapi-document.ts) reads `access` to say which calls need a token. */
export interface ProcedureMeta {
  access: ProcedureAccess;
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
  transformer: { input: guardedInput(superjson), output: superjson },
  sse: {
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 30_000 },
  },
  errorFormatter({ shape, error }): typeof shape & { data: ThreadlineErrorData } {
    const issues =
      error.code === 'BAD_REQUEST' && error.cause instanceof ZodError
        ? error.cause.issues.map((issue) => ({
            path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
            message: issue.message,
            code: issue.code,
          }))
        : undefined;
    const message = issues
      ? `invalid input: ${issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`).join('; ')}`
      : clientMessage(error);
    const retryAfterMs = retryAfterOf(error);
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        ...(shape.data.path ? { path: shape.data.path } : {}),
        ...(issues ? { issues } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      },
    };
  },
});

/**
 * The exception whose own text an error would carry, when it is not ours to show: tRPC gives a
 * TRPCError made from a thrown error that error's message (JSON.parse's, a library's, a bug's).
 * Undefined for a domain error's message and one written for a TRPCError.
 */
export function unexplainedCause(error: TRPCError): Error | undefined {
  const cause = error.cause;
  if (!cause || cause instanceof DomainError || cause instanceof ZodError || error.message !== cause.message) return undefined;
  return cause;
}

/** What a client reads: our own words, never an exception's text (it says nothing useful, and may show internals). */
function clientMessage(error: TRPCError): string {
  if (error.code === 'INTERNAL_SERVER_ERROR') return 'internal server error';
  const cause = unexplainedCause(error);
  if (!cause) return error.message;
  if (cause instanceof SyntaxError) return "the request's input is not valid JSON";
  return error.code === 'BAD_REQUEST' ? 'invalid input' : error.code.toLowerCase().replaceAll('_', ' ');
}

export const router = t.router;

/** Makes in-process callers of a router (embedding: `createThreadline(…).caller`). */
export const createCallerFactory = t.createCallerFactory;

/** When a limited request may be sent again, ms (TOO_MANY_REQUESTS only). */
export function retryAfterOf(error: TRPCError): number | undefined {
  return error.code === 'TOO_MANY_REQUESTS' && error.cause instanceof DomainError ? error.cause.retryAfterMs : undefined;
}

const trpcCodes: Record<DomainErrorKind, TRPCError['code']> = {
  not_found: 'NOT_FOUND',
  invalid: 'BAD_REQUEST',
  conflict: 'CONFLICT',
  unauthorized: 'UNAUTHORIZED',
  unavailable: 'SERVICE_UNAVAILABLE',
  too_many: 'TOO_MANY_REQUESTS',
};

/** What a client hears when the database cannot answer now. */
export const DATABASE_UNAVAILABLE = 'the database is not answering; retry shortly';

/**
 * The one place errors become tRPC codes: domain errors by kind, a database that cannot answer now
 * as SERVICE_UNAVAILABLE, everything else stays internal. Undefined when the result stands as it is.
 */
function mappedError(result: { ok: true } | { ok: false; error: TRPCError }): TRPCError | undefined {
  if (result.ok) return undefined;
  const cause = result.error.cause;
  if (cause instanceof DomainError) return new TRPCError({ code: trpcCodes[cause.kind], message: cause.message, cause });
  if (result.error.code === 'INTERNAL_SERVER_ERROR' && isDatabaseUnavailable(cause)) return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: DATABASE_UNAVAILABLE, cause });
  return undefined;
}

/**
 * Every procedure's frame, in one middleware (each middleware is a level of tRPC's call chain, with
 * its own copies of the call's options and context): the services typed in `ctx`; errors mapped to
 * codes (`mappedError`); and a span per call while traces are on (its name is the procedure's
 * path; an error sets its status and `error.type` to the code the client gets), which `ctx.span`
 * lets the call parent what it starts (a run) to. Off, tracing costs one branch.
 */
const framed = t.middleware(async function framed({ ctx, path, type, next }) {
  const services = ctx.services as Services;
  const tracer = (ctx.services as Services | undefined)?.tracer;
  const span = tracer?.startSpan(path, {
    kind: SpanKind.SERVER,
    attributes: { 'rpc.system': 'trpc', 'rpc.method': path, 'trpc.type': type, ...(ctx.user ? { 'user.id': ctx.user.id } : {}), ...(ctx.requestId ? { 'threadline.request_id': ctx.requestId } : {}) },
  });
  try {
    const result = await next({ ctx: { services, span: span as Span | undefined } });
    const mapped = mappedError(result);
    if (span && !result.ok) {
      const code = (mapped ?? result.error).code;
      span.setAttribute('error.type', code);
      if (code === 'INTERNAL_SERVER_ERROR' || code === 'SERVICE_UNAVAILABLE') span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    }
    if (mapped) throw mapped;
    return result;
  } finally {
    span?.end();
  }
});

/** Anyone may call it. */
export const publicProcedure = t.procedure.meta({ access: 'public' }).use(framed);

/** Requires a valid bearer token; `ctx.user` is the caller. Counts against the caller's requests per minute. */
export const authedProcedure = publicProcedure.meta({ access: 'user' }).use(async function authed({ ctx, next }) {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'a valid bearer token is required' });
  await ctx.services.limiter.countRequest(ctx.user.id);
  return next({ ctx: { user: ctx.user } });
});

/** Requires an operator token (`threadline-server token create NAME --operator`); any other token gets FORBIDDEN. */
export const operatorProcedure = authedProcedure.meta({ access: 'operator' }).use(function isOperator({ ctx, next }) {
  if (!ctx.user.operator) throw new TRPCError({ code: 'FORBIDDEN', message: 'an operator token is required' });
  return next();
});
