import { closeSync, mkdirSync, openSync } from 'node:fs';

/**
 * The data dir holds every conversation (SQLite), the first user's token and the instance id: only
 * the server's own user may read it. What the server creates there is private; a dir or file that
 * already exists keeps the mode its owner gave it.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `path` (and missing parents) as private dirs; an existing one is left as it is. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Creates an empty private file at `path` unless one exists (SQLite then keeps its mode, and gives it to its -wal and -shm files). */
export function ensurePrivateFile(path: string): void {
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
}
