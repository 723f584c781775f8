/** What went wrong, independent of the transport; trpc.ts maps each kind to a tRPC code in one place. */
export type DomainErrorKind = 'not_found' | 'invalid' | 'conflict' | 'unauthorized' | 'unavailable' | 'too_many';

/** An expected failure of a request (not a bug): unknown id, bad cursor, unknown agent, a limit... */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** With `too_many`: when the same request may succeed, ms from now. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new DomainError('not_found', `${what} not found`);
export const invalid = (message: string) => new DomainError('invalid', message);
export const conflict = (message: string) => new DomainError('conflict', message);
/** A limit was reached: TOO_MANY_REQUESTS, with when to try again. */
export const tooMany = (message: string, retryAfterMs: number) => new DomainError('too_many', message, Math.max(1, Math.ceil(retryAfterMs)));
