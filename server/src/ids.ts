import { v7 } from 'uuid';

/** A new time-ordered id (UUIDv7, monotonic within this process). */
export function newId(): string {
  return v7();
}
