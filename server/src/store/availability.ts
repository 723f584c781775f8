import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';

/** SQLite result codes of a database that cannot take the statement now: full, I/O, locked, read-only. */
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|PROTOCOL|NOLFS)/;
/** PostgreSQL SQLSTATE classes: 08 connection exception, 53 insufficient resources (disk full, out of memory, too many connections), 57 operator intervention (shutdown), 58 system error. */
const POSTGRES_UNAVAILABLE = /^(08|53|57|58)/;
/** Node socket errors and pg's own timeouts and lost connections. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const PG_MESSAGES = /connection terminated|timeout exceeded when trying to connect|query read timeout|connection timeout|client has encountered a connection error|cannot use a pool after calling end|canceling statement due to statement timeout/i;

/**
 * True when an error says the database cannot answer now (full disk, lost or refused connection,
 * a timeout, a server shutting down), as opposed to a bug or a constraint: such a request is worth
 * retrying later, and clients are told SERVICE_UNAVAILABLE rather than an internal error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (SQLITE_UNAVAILABLE.test(code) || NETWORK_CODES.has(code))) return true;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && POSTGRES_UNAVAILABLE.test(code)) return true;
    if (PG_MESSAGES.test(current.message)) return true;
  }
  return false;
}

/**
 * Whether the database takes writes now, as the writes themselves tell it: the first one that fails
 * for want of the database marks it failing, the next one that succeeds clears it. `/readyz` says
 * 503 meanwhile, so a load balancer sends no new work here.
 */
export class StoreHealth {
  private failingSince: number | null = null;
  private lastError: string | null = null;
  private uncommitted: () => boolean = () => false;

  /** Every statement's outcome, from the driver (see `observedDriver`): `error` when it failed. */
  readonly observe = (sql: string, error?: unknown): void => {
    if (!isWrite(sql)) return;
    if (error !== undefined) this.failed(error);
    // A write inside a transaction proves nothing until its commit (SQLite fails a full disk there).
    else if (!this.uncommitted()) this.succeeded();
  };

  /** A commit went through (no error) or failed: the dialect's driver tells, as the log hook cannot. */
  readonly observeCommit = (error?: unknown): void => {
    if (error === undefined) this.succeeded();
    else this.failed(error);
  };

  /** While `uncommitted()` says a transaction is open, a successful write does not clear a failure. */
  deferWhile(uncommitted: () => boolean): void {
    this.uncommitted = uncommitted;
  }

  private succeeded(): void {
    this.failingSince = null;
    this.lastError = null;
  }

  private failed(error: unknown): void {
    if (!isDatabaseUnavailable(error)) return;
    this.failingSince ??= Date.now();
    this.lastError = error instanceof Error ? error.message : String(error);
  }

  /** Writes went through last time (or none failed yet). */
  get writable(): boolean {
    return this.failingSince === null;
  }

  /** Since when writes fail and why, for `/readyz` and logs; null while they go through. */
  failure(): { since: Date; error: string } | null {
    return this.failingSince === null ? null : { since: new Date(this.failingSince), error: this.lastError ?? 'unknown' };
  }
}

function isWrite(statement: string): boolean {
  const verb = statement.trimStart().slice(0, 6).toLowerCase();
  return verb === 'insert' || verb === 'update' || verb === 'delete';
}

/**
 * The driver with every statement's outcome told to `observe` (StoreHealth's): each connection's
 * `executeQuery` is wrapped once, when first handed out. Kysely's own `log` hook did this job at a
 * cost per query (an async wrapper, a clock read, an event object and an awaited logger), about 20
 * KB allocated per run. The driver is the one its dialect just made, so it is changed in place.
 */
export function observedDriver(driver: Driver, observe: (sql: string, error?: unknown) => void): Driver {
  const wrapped = new WeakSet<DatabaseConnection>();
  const acquire = driver.acquireConnection.bind(driver);
  driver.acquireConnection = async () => {
    const connection = await acquire();
    if (wrapped.has(connection)) return connection;
    wrapped.add(connection);
    const execute = connection.executeQuery.bind(connection);
    connection.executeQuery = <R>(query: CompiledQuery): Promise<QueryResult<R>> =>
      execute<R>(query).then(
        (result) => {
          observe(query.sql);
          return result;
        },
        (error: unknown) => {
          observe(query.sql, error);
          throw error;
        },
      );
    return connection;
  };
  return driver;
}
