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

/**
 * Kysely's driver for one better-sqlite3 connection, as Kysely's own `SqliteDriver` (one
 * connection, handed to one caller at a time), with two differences:
 *
 * - statements are prepared once per SQL text and reused (`SqliteStatements`);
 * - a rollback is sent only while a transaction is open. SQLite rolls a transaction back by itself
 *   when a statement fails with SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY or SQLITE_NOMEM; Kysely's
 *   own rollback would then fail ("no transaction is active") and its error would replace the one
 *   that says what happened (a full disk).
 */
export class CachingSqliteDriver implements Driver {
  private readonly connection: CachingSqliteConnection;
  private readonly lock = new ConnectionLock();

  constructor(
    private readonly database: SQLite.Database,
    cacheSize?: number,
    /** Told how each commit went (Kysely's log hook never sees `commit`). */
    private readonly onCommit?: (error?: unknown) => void,
  ) {
    this.connection = new CachingSqliteConnection(database, new SqliteStatements(database, cacheSize));
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.lock.acquire();
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    this.lock.release();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('commit'));
    } catch (error) {
      this.onCommit?.(error);
      throw error;
    }
    this.onCommit?.();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.database.inTransaction) await connection.executeQuery(CompiledQuery.raw('rollback'));
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
    this.connection.statements.clear();
    this.database.close();
  }
}

/** `savepoint "name"` and its kin, the name quoted as an identifier (as Kysely's driver does). */
function savepointCommand(command: string, name: string): RawNode {
  return RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]);
}

class CachingSqliteConnection implements DatabaseConnection {
  constructor(
    private readonly database: SQLite.Database,
    readonly statements: SqliteStatements,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = this.statements.execute(query.sql, query.parameters);
    if ('rows' in result) return { rows: result.rows as R[] };
    const { changes, lastInsertRowid } = result;
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(query.query)) throw new Error('the SQLite driver streams select queries only');
    // Not from the cache: a statement being iterated cannot run anything else meanwhile.
    for (const row of this.database.prepare(query.sql).iterate(query.parameters)) yield { rows: [row as R] };
  }
}

/** One holder at a time: the others wait their turn, in order. */
class ConnectionLock {
  private held = false;
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
