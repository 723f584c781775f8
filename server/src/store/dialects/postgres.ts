import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../database.js';

const INT8_OID = 20;

/**
 * PostgreSQL through pg. bigint columns hold epoch milliseconds, far below 2^53, so they are
 * parsed as numbers, the shape SQLite returns. Connection options (pool size, `options=-c
 * search_path=…`) go in the URL.
 */
export function createPostgresDatabase(connectionString: string): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
