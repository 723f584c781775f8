import { TRPCClientError } from '@trpc/client';
import type { Connection } from './connection.js';

/** The part of a Connection an error message names. */
type Where = Pick<Connection, 'url' | 'tokenSource'> & Partial<Pick<Connection, 'urlSource'>>;

/**
 * One line saying what went wrong, for a person: a rejected token names where the token came from,
 * an unreachable server names its URL, a refused input gives the server's own explanation.
 */
export function describeError(error: unknown, where?: Where): string {
  if (error instanceof TRPCClientError) {
    const code = (error.data as { code?: string } | undefined)?.code;
    if (code === 'UNAUTHORIZED' && where) return `the server at ${where.url} rejected the token from ${where.tokenSource}`;
    const retryAfterMs = (error.data as { retryAfterMs?: number } | undefined)?.retryAfterMs;
    if (code === 'TOO_MANY_REQUESTS' && retryAfterMs) return `${error.message} (${code}: try again in ${Math.ceil(retryAfterMs / 1000)} s)`;
    if (code) return `${error.message} (${code})`;
    const cause = networkCause(error);
    if (cause && where) return unreachable(where, cause);
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/**
 * "cannot reach the server at URL (ECONNREFUSED)", where that URL came from, and how to point the
 * CLI at another server: what a user whose server runs on another port needs to read.
 */
export function unreachable(where: Where, cause: string): string {
  const source = where.urlSource ? ` (the URL from ${where.urlSource})` : '';
  return (
    `cannot reach the server at ${where.url}${source}: ${cause}. Is it running? ` +
    'To use another server, pass --url URL, set THREADLINE_URL, or save it with `threadline login URL`'
  );
}

/** A run's error for a person: a spent budget says what to do about it. */
export function describeRunError(error: { code: string; message: string; retryable: boolean }): string {
  if (error.code === 'quota_exceeded') return `usage budget reached: ${error.message} (see \`threadline usage\`)`;
  return `the run failed (${error.code}): ${error.message}${error.retryable ? ' (you can try again)' : ''}`;
}

/** Why a fetch failed (ECONNREFUSED, ENOTFOUND, bad port, …), if that is what the error is. */
function networkCause(error: Error): string | undefined {
  const chain: Error[] = [];
  for (let current: unknown = error; current instanceof Error && chain.length < 6; current = current.cause) chain.push(current);
  if (!chain.some((link) => link.message === 'fetch failed')) return undefined;
  const deepest = chain.at(-1)!;
  const code = (deepest as { code?: unknown }).code;
  return typeof code === 'string' ? code : deepest.message;
}

/** True for an error the server gave because the token is not accepted. */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === 'UNAUTHORIZED';
}
