import { PostgresAdapter, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Database } from './database.js';

// The store side of retention: which sessions and runs are past their policy, and their deletion in
// transactions the caller keeps small. Every delete checks its conditions again inside its own
// transaction, so a session that became active after it was found is never deleted.

/** A run not over yet. A session with one of these is never pruned, however old. */
const UNFINISHED = ['queued', 'running', 'waiting'];

/**
 * Tables whose rows belong to a session (a `session_id` column), deleted with it, children first.
 * A new table with a `session_id` belongs here, or in `SESSION_REFERENCES_KEPT` (the retention
 * test fails until it is one or the other); foreign keys with `on delete cascade` to these tables
 * or to `sessions` are followed by the database itself.
 */
export const SESSION_CHILD_TABLES = ['messages', 'runs'] as const;
/**
 * Tables with a `session_id` that deliberately outlive the session: the usage ledger, which bills
 * and budgets what was used whatever became of the conversation.
 */
export const SESSION_REFERENCES_KEPT: readonly string[] = ['usage_ledger'];
/** Tables with a `run_id`, kept when a finished run's record is pruned: a message is its session's, a ledger row the bill's. */
export const RUN_REFERENCES_KEPT: readonly string[] = ['messages', 'usage_ledger'];

/** Sessions idle (no update) since before `cutoff` (epoch ms); with `archivedOnly`, archived ones only. */
export interface ExpiredSessions {
  cutoff: number;
  archivedOnly: boolean;
}

/** A session to prune, and how many rows go with it (itself, its messages and runs). */
export interface ExpiredSession {
  id: string;
  rows: number;
}

/** Rows deleted (or that would be), by table. */
export interface DeletedRows {
  sessions: number;
  messages: number;
  runs: number;
}

type SessionScope = ExpressionBuilder<Database, 'sessions'>;

const isPostgres = (db: Kysely<Database>) => db.getExecutor().adapter instanceof PostgresAdapter;

function hasUnfinishedRun(eb: SessionScope) {
  return eb.exists(eb.selectFrom('runs').select('runs.id').whereRef('runs.session_id', '=', 'sessions.id').where('runs.status', 'in', UNFINISHED));
}

/** The condition of a session past `which` (and with no unfinished run). */
function isExpired(which: ExpiredSessions) {
  return (eb: SessionScope) =>
    eb.and([
      eb('sessions.updated_at', '<', which.cutoff),
      ...(which.archivedOnly ? [eb('sessions.archived', '=', 1)] : []),
      eb.not(hasUnfinishedRun(eb)),
    ]);
}

/** Expired by `which` and by none of `earlier` (policies applied before it: counted there). */
function expiredOnlyBy(which: ExpiredSessions, earlier: ExpiredSessions[]) {
  return (eb: SessionScope) => eb.and([isExpired(which)(eb), ...earlier.map((policy) => eb.not(isExpired(policy)(eb)))]);
}

/** Up to `limit` expired sessions, longest idle first, each with its row count. */
export async function findExpiredSessions(db: Kysely<Database>, which: ExpiredSessions, limit: number): Promise<ExpiredSession[]> {
  const rows = await db
    .selectFrom('sessions')
    .select((eb) => [
      'sessions.id',
      eb.selectFrom('messages').select(eb.fn.countAll().as('count')).whereRef('messages.session_id', '=', 'sessions.id').as('messages'),
      eb.selectFrom('runs').select(eb.fn.countAll().as('count')).whereRef('runs.session_id', '=', 'sessions.id').as('runs'),
    ])
    .where(isExpired(which))
    .orderBy('sessions.updated_at')
    .orderBy('sessions.id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: row.id, rows: 1 + Number(row.messages ?? 0) + Number(row.runs ?? 0) }));
}

/** What deleting the sessions expired by `which` (and not by `earlier`) would delete. */
export async function countExpiredSessions(db: Kysely<Database>, which: ExpiredSessions, earlier: ExpiredSessions[] = []): Promise<DeletedRows> {
  const expired = db.selectFrom('sessions').select('sessions.id').where(expiredOnlyBy(which, earlier));
  const [sessions, messages, runs] = await Promise.all([
    db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('count')).where(expiredOnlyBy(which, earlier)).executeTakeFirstOrThrow(),
    db.selectFrom('messages').select((eb) => eb.fn.countAll().as('count')).where('session_id', 'in', expired).executeTakeFirstOrThrow(),
    db.selectFrom('runs').select((eb) => eb.fn.countAll().as('count')).where('session_id', 'in', expired).executeTakeFirstOrThrow(),
  ]);
  return { sessions: Number(sessions.count), messages: Number(messages.count), runs: Number(runs.count) };
}

/** Sessions old enough for any of `policies` that are kept because a run of theirs is queued, running or waiting. */
export async function countKeptActive(db: Kysely<Database>, policies: ExpiredSessions[]): Promise<number> {
  if (policies.length === 0) return 0;
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll().as('count'))
    .where((eb) =>
      eb.and([
        eb.or(policies.map((which) => eb.and([eb('sessions.updated_at', '<', which.cutoff), ...(which.archivedOnly ? [eb('sessions.archived', '=', 1)] : [])]))),
        hasUnfinishedRun(eb),
      ]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** In a transaction: those of `ids` still expired, locked on PostgreSQL until it ends. */
async function stillExpired(trx: Kysely<Database>, ids: string[], which: ExpiredSessions): Promise<string[]> {
  const query = trx.selectFrom('sessions').select('sessions.id').where('sessions.id', 'in', ids).where(isExpired(which));
  const rows = await (isPostgres(trx) ? query.forUpdate() : query).execute();
  return rows.map((row) => row.id);
}

/**
 * Deletes those of `ids` still expired by `which`, with their messages and runs, in one
 * transaction (the caller keeps the rows within its batch).
 */
export async function deleteExpiredSessions(db: Kysely<Database>, ids: string[], which: ExpiredSessions): Promise<DeletedRows> {
  return db.transaction().execute(async (trx) => {
    const expired = await stillExpired(trx, ids, which);
    const deleted: DeletedRows = { sessions: 0, messages: 0, runs: 0 };
    if (expired.length === 0) return deleted;
    for (const table of SESSION_CHILD_TABLES) {
      const result = await trx.deleteFrom(table).where('session_id', 'in', expired).executeTakeFirst();
      deleted[table] = Number(result.numDeletedRows);
    }
    deleted.sessions = Number((await trx.deleteFrom('sessions').where('id', 'in', expired).executeTakeFirst()).numDeletedRows);
    return deleted;
  });
}

/**
 * For a session with more rows than one batch: deletes up to `limit` of its messages (oldest
 * first), then of its runs, in one transaction, while it is still expired. Undefined when it is no
 * longer expired (it became active: what was trimmed stays trimmed, the rest is kept).
 */
export async function trimExpiredSession(db: Kysely<Database>, id: string, which: ExpiredSessions, limit: number): Promise<DeletedRows | undefined> {
  return db.transaction().execute(async (trx) => {
    if ((await stillExpired(trx, [id], which)).length === 0) return undefined;
    const deleted: DeletedRows = { sessions: 0, messages: 0, runs: 0 };
    let room = limit;
    for (const table of SESSION_CHILD_TABLES) {
      if (room === 0) break;
      const rows = await trx.selectFrom(table).select('id').where('session_id', '=', id).orderBy('id').limit(room).execute();
      if (rows.length === 0) continue;
      const result = await trx.deleteFrom(table).where('id', 'in', rows.map((row) => row.id)).executeTakeFirst();
      deleted[table] = Number(result.numDeletedRows);
      room -= deleted[table];
    }
    return deleted;
  });
}

/** Finished runs that ended (or, never started, were queued) before `cutoff`. */
function runExpired(cutoff: number) {
  return (eb: ExpressionBuilder<Database, 'runs'>) =>
    eb.and([
      eb('runs.status', 'not in', UNFINISHED),
      eb.or([eb('runs.ended_at', '<', cutoff), eb.and([eb('runs.ended_at', 'is', null), eb('runs.queued_at', '<', cutoff)])]),
    ]);
}

/** Up to `limit` ids of runs expired at `cutoff`, the earliest first. */
export async function findExpiredRuns(db: Kysely<Database>, cutoff: number, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('runs').select('runs.id').where(runExpired(cutoff)).orderBy('runs.id').limit(limit).execute();
  return rows.map((row) => row.id);
}

/** How many runs expired at `cutoff` there are, besides those of sessions expired by `sessionPolicies`. */
export async function countExpiredRuns(db: Kysely<Database>, cutoff: number, sessionPolicies: ExpiredSessions[] = []): Promise<number> {
  let query = db.selectFrom('runs').select((eb) => eb.fn.countAll().as('count')).where(runExpired(cutoff));
  for (const policy of sessionPolicies) {
    query = query.where((eb) =>
      eb.or([eb('runs.session_id', 'is', null), eb('runs.session_id', 'not in', eb.selectFrom('sessions').select('sessions.id').where(isExpired(policy)))]),
    );
  }
  return Number((await query.executeTakeFirstOrThrow()).count);
}

/** Deletes those of `ids` still expired at `cutoff`, in one statement (its own transaction). */
export async function deleteExpiredRuns(db: Kysely<Database>, ids: string[], cutoff: number): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db.deleteFrom('runs').where('runs.id', 'in', ids).where(runExpired(cutoff)).executeTakeFirst();
  return Number(result.numDeletedRows);
}
