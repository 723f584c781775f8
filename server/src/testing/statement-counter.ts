import type { CompiledQuery, DatabaseConnection, Driver, QueryResult, TransactionSettings } from 'kysely';

/** What a store did: statements by kind, transactions, and the statements themselves in order. */
export interface StoreWork {
  /** `select` statements. */
  reads: number;
  /** `insert`, `update` and `delete` statements (with or without `returning`). */
  writes: number;
  /** Explicit transactions (`begin` … `commit`/`rollback`). */
  transactions: number;
  /**
   * Transactions that wrote: explicit ones with at least one write, plus every write sent outside
   * a transaction (the database commits it as a transaction of its own).
   */
  writeTransactions: number;
  /** Every statement, transaction control included (`begin`, `commit`, `rollback`), in order. */
  statements: string[];
  /** The reads and writes as sent, with their parameters (to EXPLAIN one, say). */
  queries: CompiledQuery[];
}

const emptyWork = (): StoreWork => ({ reads: 0, writes: 0, transactions: 0, writeTransactions: 0, statements: [], queries: [] });

/**
 * Counts what a store sends its database, at the Kysely driver (so it sees transaction control,
 * which Kysely's `log` hook does not). Pass `wrap` as a store's `wrapDriver`; `take()` returns the
 * work since the last `take()` and starts counting afresh.
 */
export class StatementCounter {
  private work = emptyWork();

  /** The work since the last call (or since the start), and a fresh count from here. */
  take(): StoreWork {
    const work = this.work;
    this.work = emptyWork();
    return work;
  }

  readonly wrap = (driver: Driver): Driver => {
    const counted = new WeakMap<DatabaseConnection, CountingConnection>();
    const inner = (connection: DatabaseConnection) => (connection as CountingConnection).inner;
    const wrapped: Driver = {
      init: () => driver.init(),
      acquireConnection: async () => {
        const connection = await driver.acquireConnection();
        let counting = counted.get(connection);
        if (!counting) counted.set(connection, (counting = new CountingConnection(connection, () => this.work)));
        return counting;
      },
      beginTransaction: async (connection: DatabaseConnection, settings: TransactionSettings) => {
        await driver.beginTransaction(inner(connection), settings);
        (connection as CountingConnection).begin();
      },
      commitTransaction: async (connection: DatabaseConnection) => {
        (connection as CountingConnection).end('commit');
        await driver.commitTransaction(inner(connection));
      },
      rollbackTransaction: async (connection: DatabaseConnection) => {
        (connection as CountingConnection).end('rollback');
        await driver.rollbackTransaction(inner(connection));
      },
      releaseConnection: (connection: DatabaseConnection) => driver.releaseConnection(inner(connection)),
      destroy: () => driver.destroy(),
    };
    if (driver.savepoint) wrapped.savepoint = (connection, name, compile) => driver.savepoint!(inner(connection), name, compile);
    if (driver.rollbackToSavepoint) wrapped.rollbackToSavepoint = (connection, name, compile) => driver.rollbackToSavepoint!(inner(connection), name, compile);
    if (driver.releaseSavepoint) wrapped.releaseSavepoint = (connection, name, compile) => driver.releaseSavepoint!(inner(connection), name, compile);
    return wrapped;
  };
}

/** One database connection, counting what goes through it. */
class CountingConnection implements DatabaseConnection {
  private inTransaction = false;
  private wrote = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly work: () => StoreWork,
  ) {}

  begin(): void {
    this.inTransaction = true;
    this.wrote = false;
    this.work().transactions++;
    this.work().statements.push('begin');
  }

  end(how: 'commit' | 'rollback'): void {
    if (this.wrote) this.work().writeTransactions++;
    this.inTransaction = false;
    this.work().statements.push(how);
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.count(query);
    return this.inner.executeQuery(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.count(query);
    return this.inner.streamQuery(query, chunkSize);
  }

  private count(query: CompiledQuery): void {
    const { sql } = query;
    const work = this.work();
    work.queries.push(query);
    const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase();
    if (verb === 'select' || verb === 'with') work.reads++;
    else if (verb === 'insert' || verb === 'update' || verb === 'delete') {
      work.writes++;
      if (this.inTransaction) this.wrote = true;
      else work.writeTransactions++;
    }
    work.statements.push(sql);
  }
}
