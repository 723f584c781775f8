import type { CompiledQuery, DatabaseConnection, Driver, QueryResult, TransactionSettings } from 'kysely';

const WRITE = /^\s*(insert|update|delete)\b/i;

/**
 * Counts the rows each write transaction changed (inserted, updated or deleted), at the Kysely
 * driver: a write outside a transaction counts as a transaction of its own. Pass `wrap` as a
 * store's `wrapDriver` (it composes with `StatementCounter.wrap`).
 */
export class RowCounter {
  /** Rows changed by each write transaction, in order (transactions that changed nothing left out). */
  readonly transactions: number[] = [];

  readonly wrap = (driver: Driver): Driver => {
    const open = new WeakMap<DatabaseConnection, { rows: number }>();
    const counting = new WeakMap<DatabaseConnection, DatabaseConnection>();
    const inner = new WeakMap<DatabaseConnection, DatabaseConnection>();
    const record = (rows: number) => {
      if (rows > 0) this.transactions.push(rows);
    };
    const wrapConnection = (connection: DatabaseConnection): DatabaseConnection => {
      const existing = counting.get(connection);
      if (existing) return existing;
      const wrapped: DatabaseConnection = {
        executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
          const result = await connection.executeQuery<R>(query);
          // Only writes: SQLite reports its last write's count for any statement run without rows (a pragma).
          const rows = WRITE.test(query.sql) ? Number(result.numAffectedRows ?? 0n) : 0;
          const transaction = open.get(wrapped);
          if (transaction) transaction.rows += rows;
          else record(rows);
          return result;
        },
        streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => connection.streamQuery<R>(query, chunkSize),
      };
      counting.set(connection, wrapped);
      inner.set(wrapped, connection);
      return wrapped;
    };
    const unwrap = (connection: DatabaseConnection) => inner.get(connection) ?? connection;
    const end = (connection: DatabaseConnection) => {
      record(open.get(connection)?.rows ?? 0);
      open.delete(connection);
    };
    const wrapped: Driver = {
      init: () => driver.init(),
      acquireConnection: async () => wrapConnection(await driver.acquireConnection()),
      beginTransaction: async (connection: DatabaseConnection, settings: TransactionSettings) => {
        await driver.beginTransaction(unwrap(connection), settings);
        open.set(connection, { rows: 0 });
      },
      commitTransaction: async (connection: DatabaseConnection) => {
        end(connection);
        await driver.commitTransaction(unwrap(connection));
      },
      rollbackTransaction: async (connection: DatabaseConnection) => {
        open.delete(connection);
        await driver.rollbackTransaction(unwrap(connection));
      },
      releaseConnection: (connection: DatabaseConnection) => driver.releaseConnection(unwrap(connection)),
      destroy: () => driver.destroy(),
    };
    if (driver.savepoint) wrapped.savepoint = (connection, name, compile) => driver.savepoint!(unwrap(connection), name, compile);
    if (driver.rollbackToSavepoint) wrapped.rollbackToSavepoint = (connection, name, compile) => driver.rollbackToSavepoint!(unwrap(connection), name, compile);
    if (driver.releaseSavepoint) wrapped.releaseSavepoint = (connection, name, compile) => driver.releaseSavepoint!(unwrap(connection), name, compile);
    return wrapped;
  };
}
