import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type Driver } from 'kysely';
import { ensurePrivateFile } from '../../data-dir.js';
import type { StoreHealth } from '../availability.js';
import type { Database } from '../database.js';
import { withDriverWrapper, type DriverWrapper } from '../driver-wrapper.js';
import { CachingSqliteDriver } from './sqlite-driver.js';

/**
 * SQLite through better-sqlite3, in WAL mode with synchronous=NORMAL: committed transactions
 * survive a process crash (kill -9). `busy_timeout` lets a CLI command and the server share a file.
 */
export function createSqliteDatabase(
  filename: string,
  options: { timeoutMs?: number; wrapDriver?: DriverWrapper; health?: StoreHealth } = {},
): Kysely<Database> {
  // Created private before SQLite opens it: SQLite creates its -wal and -shm files with the database's mode.
  ensurePrivateFile(filename);
  const connection = new SQLite(filename);
  // Before any table exists (a new file), this makes deleted rows' space returnable to the file
  // system in steps (`pragma incremental_vacuum`, after a prune); on an existing file it is a no-op
  // until a VACUUM (`threadline-server vacuum`). See store/space.ts.
  connection.pragma('auto_vacuum = INCREMENTAL');
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma(`busy_timeout = ${options.timeoutMs ?? 5000}`);
  // SQLite's own lower() folds ASCII only; the title search needs the Unicode folding PostgreSQL has.
  connection.function('lower', { deterministic: true }, (text: unknown) =>
    typeof text === 'string' ? text.toLowerCase() : text,
  );
  // Inside a transaction a write only reaches the disk at its commit: health waits for that.
  options.health?.deferWhile(() => connection.inTransaction);
  return new Kysely<Database>({
    dialect: withDriverWrapper(new CachingSqliteDialect(connection, options.health), options.wrapDriver),
  });
}

/** Kysely's SQLite dialect, with a driver that reuses prepared statements (see `CachingSqliteDriver`). */
class CachingSqliteDialect extends SqliteDialect {
  constructor(
    private readonly connection: SQLite.Database,
    private readonly health?: StoreHealth,
  ) {
    super({ database: connection });
  }

  override createDriver(): Driver {
    return new CachingSqliteDriver(this.connection, undefined, this.health?.observeCommit, this.health?.observe);
  }
}
