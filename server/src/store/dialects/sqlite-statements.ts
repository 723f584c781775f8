import type SQLite from 'better-sqlite3';

/** How many prepared statements one connection keeps (the store's queries are a few dozen texts). */
export const DEFAULT_STATEMENT_CACHE_SIZE = 500;

/** Statements that change the schema: never cached, and they empty the cache once they have run. */
const SCHEMA_CHANGE = /^\s*(create|alter|drop|reindex|vacuum)\b/i;

/**
 * better-sqlite3's prepared statements of one connection, by SQL text, least recently used out
 * first. Kysely's own SQLite driver prepares every statement on every execution (compiling it in
 * SQLite each time); a statement here is compiled once and run many times with new parameters.
 *
 * Safe with schema changes: SQLite recompiles a prepared statement by itself when the schema moved
 * under it; besides, a statement that changes the schema here (a migration) empties the cache once
 * it has run, and a statement that fails with SQLITE_SCHEMA empties it and is prepared afresh once.
 */
export class SqliteStatements {
  private readonly cache = new Map<string, SQLite.Statement>();

  constructor(
    private readonly database: SQLite.Database,
    readonly capacity = DEFAULT_STATEMENT_CACHE_SIZE,
  ) {}

  /** How many statements are kept now. */
  get size(): number {
    return this.cache.size;
  }

  /**
   * Runs `sql` with `parameters` on a prepared statement: the rows of a statement that returns
   * some (`select`, or a write with `returning`), else what it changed.
   */
  execute(sql: string, parameters: readonly unknown[]): { rows: unknown[] } | { changes: number; lastInsertRowid: number | bigint } {
    if (SCHEMA_CHANGE.test(sql)) {
      try {
        return run(this.database.prepare(sql), parameters);
      } finally {
        this.clear();
      }
    }
    try {
      return run(this.prepared(sql), parameters);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_SCHEMA') throw error;
      this.clear();
      return run(this.prepared(sql), parameters);
    }
  }

  /** Forgets every statement (they are finalized when garbage-collected, or when the database closes). */
  clear(): void {
    this.cache.clear();
  }

  private prepared(sql: string): SQLite.Statement {
    const cached = this.cache.get(sql);
    if (cached) {
      // Most recently used last: a Map iterates in insertion order.
      this.cache.delete(sql);
      this.cache.set(sql, cached);
      return cached;
    }
    const statement = this.database.prepare(sql);
    this.cache.set(sql, statement);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return statement;
  }
}

function run(statement: SQLite.Statement, parameters: readonly unknown[]) {
  if (statement.reader) return { rows: statement.all(parameters) };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { changes, lastInsertRowid };
}
