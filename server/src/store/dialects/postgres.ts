import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../database.js';

const INT8_OID = 20;

/** Options beyond the connection string. */
export interface PostgresOptions {
  /** Put every connection on this schema (tests use one schema each). */
  searchPath?: string;
  /** Pool size (default 10). */
  maxConnections?: number;
}

/**
 * PostgreSQL through pg. bigint columns hold epoch milliseconds, far below 2^53, so they are
 * parsed as numbers, the shape SQLite returns.
 */
export function createPostgresDatabase(connectionString: string, options: PostgresOptions = {}): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
