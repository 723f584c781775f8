import { setImmediate as yieldTurn } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { Database } from './database.js';
import type { DialectName } from './open.js';

/**
 * How a database gives deleted rows' space back:
 * - `incremental`: SQLite with `auto_vacuum = INCREMENTAL` (every database created since the
 *   retention change): free pages are returned to the file system in small steps after a prune;
 * - `full`: SQLite with `auto_vacuum = FULL`: at every commit, by SQLite itself;
 * - `not-enabled`: an older SQLite database (`auto_vacuum = NONE`): free pages are reused by new
 *   rows but the file never shrinks until `threadline-server vacuum` converts it, once;
 * - `autovacuum`: PostgreSQL: its autovacuum makes the space reusable (the files keep their size).
 */
export type SpaceReclaim = 'incremental' | 'full' | 'not-enabled' | 'autovacuum';

/** Pages freed per `incremental_vacuum` step: about 4 MB with 4 KiB pages, a few ms each. */
const PAGES_PER_STEP = 1000;

async function pragmaNumber(db: Kysely<Database>, name: string): Promise<number> {
  const result = await sql<Record<string, number>>`pragma ${sql.raw(name)}`.execute(db);
  return Number(Object.values(result.rows[0] ?? {})[0] ?? 0);
}

/** How the store gives space back (see `SpaceReclaim`). */
export async function spaceReclaimOf(db: Kysely<Database>, dialect: DialectName): Promise<SpaceReclaim> {
  if (dialect === 'postgres') return 'autovacuum';
  const mode = await pragmaNumber(db, 'auto_vacuum');
  return mode === 2 ? 'incremental' : mode === 1 ? 'full' : 'not-enabled';
}

/** SQLite's file size as pages: in all, and free (reusable, not yet given back). */
export async function sqlitePages(db: Kysely<Database>): Promise<{ pageSize: number; pages: number; free: number }> {
  return { pageSize: await pragmaNumber(db, 'page_size'), pages: await pragmaNumber(db, 'page_count'), free: await pragmaNumber(db, 'freelist_count') };
}

/**
 * Gives SQLite's free pages back to the file system, `PAGES_PER_STEP` at a time with a turn of the
 * event loop between steps (other queries go first), when the database is `incremental`; then a
 * passive WAL checkpoint (never waits for readers) lets the file itself shrink. Resolves to the
 * bytes given back (0 when there is nothing to do, or on PostgreSQL).
 */
export async function reclaimSpace(db: Kysely<Database>, dialect: DialectName, signal?: AbortSignal): Promise<number> {
  if ((await spaceReclaimOf(db, dialect)) !== 'incremental') return 0;
  const before = await sqlitePages(db);
  let free = before.free;
  while (free > 0 && !signal?.aborted) {
    await sql`pragma incremental_vacuum(${sql.lit(Math.min(free, PAGES_PER_STEP))})`.execute(db);
    const now = await pragmaNumber(db, 'freelist_count');
    if (now >= free) break;
    free = now;
    await yieldTurn();
  }
  await sql`pragma wal_checkpoint(PASSIVE)`.execute(db);
  const after = await sqlitePages(db);
  return Math.max(0, before.pages - after.pages) * before.pageSize;
}

/**
 * Converts an older SQLite database (`auto_vacuum = NONE`) to `INCREMENTAL` with a full `VACUUM`:
 * it rewrites the whole file (needs as much free disk again, and holds the database while it
 * runs), so it is an operator's one-off command, not something the server does by itself.
 * Resolves to the bytes given back.
 */
export async function vacuumSqlite(db: Kysely<Database>): Promise<number> {
  const before = await sqlitePages(db);
  await sql`pragma auto_vacuum = INCREMENTAL`.execute(db);
  await sql`vacuum`.execute(db);
  await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
  const after = await sqlitePages(db);
  return Math.max(0, before.pages - after.pages) * before.pageSize;
}
