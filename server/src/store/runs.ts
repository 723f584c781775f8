import type { Kysely } from 'kysely';
import type { FinishReason, MessagePart, MessageStatus, Run, RunError, RunStatus, ToolApproval, Usage } from '@threadline/shared';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { Database, NewRunRow, RunRow, RunUpdate } from './database.js';

const date = (value: number | null) => (value === null ? null : new Date(value));

/** Row → contract shape. */
export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    sessionId: row.session_id,
    requestId: row.request_id,
    status: row.status as RunStatus,
    agent: row.agent,
    model: row.model,
    priority: row.priority,
    usage: row.usage === null ? null : (JSON.parse(row.usage) as Usage),
    finishReason: row.finish_reason as FinishReason | null,
    error: row.error === null ? null : (JSON.parse(row.error) as RunError),
    queuedAt: new Date(row.queued_at),
    startedAt: date(row.started_at),
    firstTokenAt: date(row.first_token_at),
    endedAt: date(row.ended_at),
    ...pauseOf(row.waiting),
  };
}

/** A waiting run's row keeps its pause as JSON (runs/parked-run.ts); its approvals and their expiry show. */
function pauseOf(waiting: string | null): Pick<Run, 'approvals' | 'approvalsExpireAt'> {
  if (waiting === null) return { approvals: [], approvalsExpireAt: null };
  const pause = JSON.parse(waiting) as { approvals: ToolApproval[]; expiresAt?: number | null };
  return { approvals: pause.approvals, approvalsExpireAt: date(pause.expiresAt ?? null) };
}

export async function insertRun(db: Kysely<Database>, row: NewRunRow): Promise<void> {
  await db.insertInto('runs').values(row).execute();
}

/** The user's run, or undefined when it does not exist or is someone else's. */
export function findRun(db: Kysely<Database>, userId: string, runId: string): Promise<RunRow | undefined> {
  return db.selectFrom('runs').selectAll().where('id', '=', runId).where('user_id', '=', userId).executeTakeFirst();
}

export function findRunByRequest(
  db: Kysely<Database>,
  userId: string,
  requestId: string,
): Promise<RunRow | undefined> {
  return db
    .selectFrom('runs')
    .selectAll()
    .where('user_id', '=', userId)
    .where('request_id', '=', requestId)
    .executeTakeFirst();
}

export async function updateRun(db: Kysely<Database>, runId: string, change: RunUpdate): Promise<void> {
  await db.updateTable('runs').set(change).where('id', '=', runId).execute();
}

/** The end of a run as stored: status, usage, error and timings in one update. */
export function runEnd(fields: {
  status: RunStatus;
  usage: Usage;
  finishReason: FinishReason | null;
  error: RunError | null;
  firstTokenAt: number | null;
  endedAt: number;
}): RunUpdate {
  return {
    status: fields.status,
    usage: JSON.stringify(fields.usage),
    finish_reason: fields.finishReason,
    error: fields.error === null ? null : JSON.stringify(fields.error),
    first_token_at: fields.firstTokenAt,
    ended_at: fields.endedAt,
  };
}

/**
 * A run's answer kept on its row: the partial answer while it streams (checkpoints), and the final
 * answer of a stateless run, which has no session to hold it (so a repeated requestId gets it back).
 */
export interface RunCheckpoint {
  content: string;
  parts: MessagePart[];
  usage: Usage;
  /** Set on a stateless run's final answer. */
  message?: { id: string; createdAt: number; status: MessageStatus };
}

/** Runs not ended (`queued`, `running`, `waiting`), every user's, oldest first. */
export function findUnfinishedRuns(db: Kysely<Database>): Promise<RunRow[]> {
  return db.selectFrom('runs').selectAll().where('status', 'in', ['queued', 'running', 'waiting']).orderBy('queued_at').execute();
}

/** A session's runs not ended, in the order they were sent. */
export function unfinishedRunsOfSession(db: Kysely<Database>, sessionId: string): Promise<RunRow[]> {
  return db
    .selectFrom('runs')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('status', 'in', ['queued', 'running', 'waiting'])
    .orderBy('queued_at')
    .orderBy('id')
    .execute();
}

/**
 * Makes `owner` the run's owner if it is still `from` (a dead instance, or null): one instance wins
 * when several try at once. Resolves to whether this call won.
 */
export async function claimRun(db: Kysely<Database>, runId: string, from: string | null, owner: string): Promise<boolean> {
  const result = await db
    .updateTable('runs')
    .set({ owner })
    .where('id', '=', runId)
    .where((where) => (from === null ? where('owner', 'is', null) : where('owner', '=', from)))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The user's runs, newest first (ids are time-ordered), optionally of one session and in some statuses. */
export async function listRuns(
  db: Kysely<Database>,
  userId: string,
  options: { sessionId?: string; status?: RunStatus[]; cursor?: string; limit: number },
): Promise<{ rows: RunRow[]; nextCursor: string | null }> {
  let query = db.selectFrom('runs').selectAll().where('user_id', '=', userId);
  if (options.sessionId) query = query.where('session_id', '=', options.sessionId);
  if (options.status) query = query.where('status', 'in', options.status);
  if (options.cursor) {
    const [beforeId] = decodeCursor(options.cursor, ['string']);
    query = query.where('id', '<', beforeId);
  }
  const rows = await query.orderBy('id', 'desc').limit(options.limit + 1).execute();
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > options.limit && last ? encodeCursor([last.id]) : null };
}
