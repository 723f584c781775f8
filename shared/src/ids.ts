import { z } from 'zod';

/** A server-generated id (UUIDv7: time-ordered). Sessions, messages, runs and users use it. */
export const Id = z.uuid();
export type Id = z.infer<typeof Id>;

/**
 * A client-chosen idempotency key for a send. The same user + requestId never starts a second run.
 * Printable ASCII without spaces so it can travel in logs and headers unchanged.
 */
export const RequestId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'requestId must be printable ASCII without spaces');
export type RequestId = z.infer<typeof RequestId>;

/** Opaque paging cursor returned as `nextCursor`; pass it back unchanged. */
export const Cursor = z.string().min(1).max(512);
export type Cursor = z.infer<typeof Cursor>;
