import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../database.js';
import { observedDriver } from '../availability.js';
import { withDriverWrapper, type DriverWrapper } from '../driver-wrapper.js';

const INT8_OID = 20;

/** What the pool tells its owner about a connection that died while idle. */
export type ConnectionErrorListener = (error: Error) => void;

/**
 * PostgreSQL through pg. bigint columns hold epoch milliseconds, far below 2^53, so they are
 * parsed as numbers, the shape SQLite returns. Connection options (pool size, `options=-c
 * search_path=…`) go in the URL.
 *
 * An idle pooled connection that dies (database restart, failover, an idle timeout,
 * `pg_terminate_backend`) makes the pool emit `error`; without a listener Node treats that as an
 * unhandled error and the process exits. The pool drops that connection by itself and opens a new
 * one on the next query, so the error is only reported.
 */
export function createPostgresDatabase(
  connectionString: string,
  options: { onConnectionError?: ConnectionErrorListener; timeoutMs?: number; observe?: (sql: string, error?: unknown) => void; wrapDriver?: DriverWrapper } = {},
): Kysely<Database> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString,
    // A database that does not answer (packets held, not refused) fails requests in bounded time.
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', options.onConnectionError ?? (() => {}));
  const { observe } = options;
  const observed: DriverWrapper | undefined = observe && ((driver) => observedDriver(driver, observe));
  return new Kysely<Database>({ dialect: withDriverWrapper(new PostgresDialect({ pool }), observed, options.wrapDriver) });
}
