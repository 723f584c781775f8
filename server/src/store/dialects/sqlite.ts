import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type LogEvent } from 'kysely';
import { ensurePrivateFile } from '../../data-dir.js';
import type { Database } from '../database.js';
import { withDriverWrapper, type DriverWrapper } from '../driver-wrapper.js';

/**
 * SQLite through better-sqlite3, in WAL mode with synchronous=NORMAL: committed transactions
 * survive a process crash (kill -9). `busy_timeout` lets a CLI command and the server share a file.
 */
export function createSqliteDatabase(
  filename: string,
  options: { timeoutMs?: number; log?: (event: LogEvent) => void; wrapDriver?: DriverWrapper } = {},
): Kysely<Database> {
  // Created private before SQLite opens it: SQLite creates its -wal and -shm files with the database's mode.
  ensurePrivateFile(filename);
  const connection = new SQLite(filename);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma(`busy_timeout = ${options.timeoutMs ?? 5000}`);
  // SQLite's own lower() folds ASCII only; the title search needs the Unicode folding PostgreSQL has.
  connection.function('lower', { deterministic: true }, (text: unknown) =>
    typeof text === 'string' ? text.toLowerCase() : text,
  );
  return new Kysely<Database>({ dialect: withDriverWrapper(new RollbackSafeSqliteDialect(connection), options.wrapDriver), ...(options.log ? { log: options.log } : {}) });
}

/**
 * SQLite rolls a transaction back by itself when a statement fails with SQLITE_FULL, SQLITE_IOERR,
 * SQLITE_BUSY or SQLITE_NOMEM; Kysely's own rollback then fails ("no transaction is active") and
 * its error replaces the one that says what happened (a full disk). This dialect rolls back only a
 * transaction still open, so the cause reaches the caller.
 */
class RollbackSafeSqliteDialect extends SqliteDialect {
  constructor(private readonly connection: SQLite.Database) {
    super({ database: connection });
  }

  override createDriver(): Driver {
    const connection = this.connection;
    return new (class extends SqliteDriver {
      override async rollbackTransaction(databaseConnection: DatabaseConnection): Promise<void> {
        if (connection.inTransaction) await super.rollbackTransaction(databaseConnection);
      }
    })({ database: connection });
  }
}
