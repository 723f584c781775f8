import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZodError } from 'zod';
import { DomainError, type DomainErrorKind } from '../errors.js';
import { checkJsonBody } from '../input-guard.js';
import type { Services } from '../services.js';
import { isDatabaseUnavailable } from '../store/availability.js';
import { findUserByToken, type AuthUser } from '../store/users.js';

/**
 * Plain-HTTP plumbing the compatibility surfaces (OpenAI, AI SDK) share: the bearer token, the JSON
 * body, and one mapping of failures to HTTP statuses. Each surface renders the error in its own shape.
 */

/** A failure of a request before its answer starts, with the HTTP status it gets. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly kind: DomainErrorKind | 'internal',
    message: string,
    /** With 429: when to try again, ms from now (`Retry-After`). */
    readonly retryAfterMs?: number,
    /** The request field at fault, when one is. */
    readonly param?: string,
  ) {
    super(message);
  }
}

const STATUS_OF: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  too_many: 429,
  unavailable: 503,
};

/** Any thrown value as an HttpError: domain errors keep their meaning, a database that cannot answer is 503, the rest 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof DomainError) return new HttpError(STATUS_OF[error.kind], error.kind, error.message, error.retryAfterMs);
  if (isDatabaseUnavailable(error)) return new HttpError(503, 'unavailable', 'the database is not answering; retry shortly');
  return new HttpError(500, 'internal', 'internal server error');
}

/** A Zod failure of a request body, in one line naming the fields. */
export function invalidBody(error: ZodError): HttpError {
  const first = error.issues[0];
  const message = error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
  return new HttpError(400, 'invalid', `invalid request: ${message}`, undefined, first?.path.join('.') || undefined);
}

/**
 * The user of the request's bearer token; 401 without a valid one. The request counts against the
 * user's requests per minute, as a tRPC call does (429 with Retry-After past it).
 */
export async function authenticate(services: Services, request: IncomingMessage): Promise<AuthUser> {
  const header = request.headers.authorization;
  const token = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  if (!token) throw new HttpError(401, 'unauthorized', 'missing bearer token: send Authorization: Bearer <Threadline token>');
  let user: AuthUser | undefined;
  try {
    user = await findUserByToken(services.db, token);
  } catch (error) {
    throw toHttpError(error);
  }
  if (!user) throw new HttpError(401, 'unauthorized', 'invalid or revoked token');
  try {
    await services.limiter.countRequest(user.id);
  } catch (error) {
    throw toHttpError(error);
  }
  return user;
}

/** The request's JSON body, at most `maxBytes`; 413 past it, 400 when it is not JSON. */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, 'invalid', `the request body is larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'invalid', 'the request body is not valid JSON');
  }
  try {
    checkJsonBody(body);
  } catch (error) {
    const issue = ((error as Error).cause as ZodError | undefined)?.issues[0];
    throw new HttpError(400, 'invalid', `invalid request: ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'refused'}`, undefined, issue?.path.join('.'));
  }
  return body;
}

/** Writes a JSON answer; `Retry-After` (seconds) with a wait. */
export function sendJson(response: ServerResponse, status: number, body: unknown, retryAfterMs?: number): void {
  if (response.headersSent) return void response.end();
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  response.writeHead(status, headers).end(JSON.stringify(body));
}

/** Calls `onGone` when the client leaves before the response ended (Node 20: the response's `close`, not the request's). */
export function onClientGone(response: ServerResponse, onGone: () => void): void {
  response.on('close', () => {
    if (!response.writableEnded) onGone();
  });
}
