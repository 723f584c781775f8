import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  IdentifierNode,
  RawNode,
  SelectQueryNode,
  createQueryId,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import { SqliteStatements } from './sqlite-statements.js';

/** The savepoint each logical transaction runs in, inside the group's physical transaction. */
const MEMBER_SAVEPOINT = '"threadline_group_member"';
/** Most logical transactions in one physical commit. */
const MOST_PER_COMMIT = 512;
/** Statements that may run inside the open group: plain reads. Anything else commits the group first. */
const READ_ONLY = /^\s*select\b/i;

/**
 * Kysely's driver for one better-sqlite3 connection, as Kysely's own `SqliteDriver` (one
 * connection, handed to one caller at a time), with three differences:
 *
 * - statements are prepared once per SQL text and reused (`SqliteStatements`);
 * - **group commit**: a transaction's `commit` does not end SQLite's transaction at once. It
 *   hands the connection on and waits; the transactions that begin before the end of this turn
 *   of the event loop run in the same SQLite transaction (the first in it directly, each later one
 *   in a savepoint of its own), and one `commit` (at `setImmediate`, or when 512 are waiting)
 *   ends them all. Each caller's `commit` resolves only after that real commit, and rejects if it
 *   fails: nothing is acknowledged before it is in the WAL. A transaction that fails rolls back to
 *   its own savepoint and leaves the others alone (the first, failing, rolls SQLite's transaction
 *   back: nothing else is in it yet). Plain reads outside a transaction run inside the
 *   open group (they see what its members committed); any other statement outside a transaction
 *   (an autocommitted write, a pragma, a schema change) commits the group first. On SQLite a commit
 *   (writing the WAL frames, and every 1000 pages a checkpoint) costs far more than the statements
 *   of a transaction, so concurrent runs share it;
 * - a rollback is sent only while a transaction is open. SQLite rolls a transaction back by itself
 *   when a statement fails with SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY or SQLITE_NOMEM; the
 *   transactions of the group already committed by their callers then fail with that error, and
 *   Kysely's own rollback is not sent (it would fail with "no transaction is active" and hide the
 *   error that says what happened: a full disk).
 */
export class CachingSqliteDriver implements Driver {
  private readonly statements: SqliteStatements;
  private readonly lock = new ConnectionLock();
  /** Connections handed out and free again (Kysely patches each once for its log hook). */
  private readonly idle: Lease[] = [];
  /** A logical transaction is open (between `beginTransaction` and its commit or rollback). */
  private inTransaction = false;
  /** The open logical transaction runs in a savepoint (it is not the first of its group). */
  private inSavepoint = false;
  /** Logical transactions committed by their callers, waiting for the physical commit. */
  private group: Deferred[] = [];
  private commitScheduled = false;
  /** The physical commit is due, at the next moment no one holds the connection. */
  private commitDue = false;

  constructor(
    private readonly database: SQLite.Database,
    cacheSize?: number,
    /** Told how each commit went. */
    private readonly onCommit?: (error?: unknown) => void,
    /** Told how each statement a caller sent went (`error` when it failed): StoreHealth's. */
    private readonly onStatement?: (sql: string, error?: unknown) => void,
  ) {
    this.statements = new SqliteStatements(database, cacheSize);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.lock.acquire();
    return this.idle.pop() ?? new Lease(this);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (lease.handedOn) lease.handedOn = false;
    else this.handOn();
    this.idle.push(lease);
  }

  async beginTransaction(): Promise<void> {
    // The group's first member runs in SQLite's transaction itself: a savepoint makes SQLite copy
    // every page it changes to a temporary journal first, and the first member fails alone anyway
    // (nothing else is in the transaction yet). Later members of the group need their savepoint.
    // IMMEDIATE: the write lock first, waiting for another process's write (busy_timeout). A
    // deferred transaction reads first, and its first write then fails at once with SQLITE_BUSY
    // when a command-line process wrote meanwhile (SQLite cannot wait with a reader's snapshot
    // open); within this process there is one connection, so taking the lock early costs nothing.
    this.inSavepoint = this.database.inTransaction;
    if (this.inSavepoint) this.run(`savepoint ${MEMBER_SAVEPOINT}`);
    else this.run('begin immediate');
    this.inTransaction = true;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.inSavepoint) this.run(`release ${MEMBER_SAVEPOINT}`);
    this.inTransaction = false;
    const committed = deferred();
    this.group.push(committed);
    if (this.group.length >= MOST_PER_COMMIT) this.commitDue = true;
    this.scheduleCommit();
    // The connection goes on to the next caller now; this caller's own release is then a no-op.
    (connection as Lease).handedOn = true;
    this.handOn();
    await committed.promise;
  }

  async rollbackTransaction(): Promise<void> {
    this.inTransaction = false;
    if (!this.database.inTransaction) return;
    if (this.inSavepoint) {
      this.run(`rollback to ${MEMBER_SAVEPOINT}`);
      this.run(`release ${MEMBER_SAVEPOINT}`);
    }
    // Nothing of the group left to commit (the first member holds the group alone): end SQLite's transaction now.
    if (this.group.length === 0) this.run('rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compile(savepointCommand('savepoint', name), createQueryId()));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compile(savepointCommand('rollback to', name), createQueryId()));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compile(savepointCommand('release', name), createQueryId()));
  }

  async destroy(): Promise<void> {
    if (this.group.length > 0 && !this.inTransaction) this.commitGroup();
    this.statements.clear();
    this.database.close();
  }

  /** One statement for a connection handed out (see `Lease`). */
  execute(sql: string, parameters: readonly unknown[]): ReturnType<SqliteStatements['execute']> {
    if (!this.inTransaction && this.group.length > 0 && !READ_ONLY.test(sql)) this.commitGroup();
    let result: ReturnType<SqliteStatements['execute']>;
    try {
      result = this.guarded(sql, parameters);
    } catch (error) {
      this.onStatement?.(sql, error);
      throw error;
    }
    this.onStatement?.(sql);
    return result;
  }

  /** Rows of a select, one at a time (not from the cache: an iterating statement can run nothing else). */
  iterate(sql: string, parameters: readonly unknown[]): IterableIterator<unknown> {
    return this.database.prepare(sql).iterate(parameters) as IterableIterator<unknown>;
  }

  /** The driver's own transaction statements: never a reason to commit the group. */
  private run(sql: string): void {
    this.guarded(sql, []);
  }

  /** Runs a statement; when it fails and SQLite has ended its transaction by itself, what the group's members committed is gone. */
  private guarded(sql: string, parameters: readonly unknown[]): ReturnType<SqliteStatements['execute']> {
    try {
      return this.statements.execute(sql, parameters);
    } catch (error) {
      if (this.group.length > 0 && !this.database.inTransaction) this.failGroup(error);
      throw error;
    }
  }

  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      if (this.group.length === 0) return;
      if (this.lock.held) this.commitDue = true;
      else this.commitGroup();
    });
  }

  /** The connection goes to the next caller, after the group's commit if it is due. */
  private handOn(): void {
    if (this.commitDue && !this.inTransaction && this.group.length > 0) this.commitGroup();
    this.lock.release();
  }

  /** Ends SQLite's transaction: every member's commit resolves, or rejects with the error. */
  private commitGroup(): void {
    const members = this.group;
    this.group = [];
    this.commitDue = false;
    try {
      this.statements.execute('commit', []);
    } catch (error) {
      this.onCommit?.(error);
      if (this.database.inTransaction) this.statements.execute('rollback', []);
      for (const member of members) member.reject(error);
      return;
    }
    this.onCommit?.();
    for (const member of members) member.resolve();
  }

  private failGroup(error: unknown): void {
    const members = this.group;
    this.group = [];
    this.commitDue = false;
    this.onCommit?.(error);
    for (const member of members) member.reject(error);
  }
}

/** `savepoint "name"` and its kin, the name quoted as an identifier (as Kysely's driver does). */
function savepointCommand(command: string, name: string): RawNode {
  return RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
}

/** The connection as one caller holds it; statements go to the driver, which owns the database. */
class Lease implements DatabaseConnection {
  /** Set at a commit, which hands the connection on before it resolves. */
  handedOn = false;

  constructor(private readonly driver: CachingSqliteDriver) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = this.driver.execute(query.sql, query.parameters);
    if ('rows' in result) return { rows: result.rows as R[] };
    const { changes, lastInsertRowid } = result;
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('the SQLite driver streams select queries only');
    for (const row of this.driver.iterate(query.sql, query.parameters)) yield { rows: [row as R] };
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** One holder at a time: the others wait their turn, in order. */
class ConnectionLock {
  held = false;
  private readonly waiting: (() => void)[] = [];

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held = false;
  }
}
