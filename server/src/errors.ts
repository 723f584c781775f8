/** What went wrong, independent of the transport; trpc.ts maps each kind to a tRPC code in one place. */
export type DomainErrorKind = 'not_found' | 'invalid' | 'conflict' | 'unauthorized' | 'unavailable';

/** An expected failure of a request (not a bug): unknown id, bad cursor, unknown agent... */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new DomainError('not_found', `${what} not found`);
export const invalid = (message: string) => new DomainError('invalid', message);
export const conflict = (message: string) => new DomainError('conflict', message);
