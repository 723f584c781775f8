import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../database.js';

/**
 * SQLite through better-sqlite3, in WAL mode with synchronous=NORMAL: committed transactions
 * survive a process crash (kill -9). `busy_timeout` lets a CLI command and the server share a file.
 */
export function createSqliteDatabase(filename: string): Kysely<Database> {
  const connection = new SQLite(filename);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  // SQLite's own lower() folds ASCII only; the title search needs the Unicode folding PostgreSQL has.
  connection.function('lower', { deterministic: true }, (text: unknown) =>
    typeof text === 'string' ? text.toLowerCase() : text,
  );
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
}
