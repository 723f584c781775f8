import type { Kysely } from 'kysely';
import type { FinishReason, Run, RunError, RunStatus, Usage } from '@threadline/shared';
import type { ParkedRun, RunBranch, RunCheckpoint } from './run-shapes.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { Database, RunRow, RunUpdate } from './database.js';
import { fieldsOf, StatementShapes, StatementTemplate } from './statement-template.js';

/** Who may write a run: its owner, in the epoch it took the run in. */
export interface RunLease {
  owner: string;
  epoch: number;
}

/** A conditional write found the run held by someone else (taken over): this writer has lost it. */
export class RunLeaseLost extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId} is held by another instance now`);
    this.name = 'RunLeaseLost';
  }
}

/** A run as the store keeps it: the contract's record plus what the server needs to go on with it. */
export interface StoredRun extends Run {
  userId: string;
  /** The user's message, kept with the run so a run that never began still has it. */
  content: string | null;
  /** The instance holding the run while it is unfinished (see cluster/). */
  owner: string | null;
  /** The fencing token of that hold. */
  epoch: number;
  /** The partial answer while it streams, or a stateless run's final answer. */
  checkpoint: RunCheckpoint | null;
  /** While `waiting`: everything the run needs to go on. */
  parked: ParkedRun | null;
  /** Why a cancelled run was cancelled. */
  cancelReason: string | null;
  /** For a run that edits a question or regenerates an answer: where its messages go. */
  branch: RunBranch | null;
}

/** A run about to be stored (queued). */
export interface NewRun {
  id: string;
  userId: string;
  sessionId: string | null;
  requestId: string | null;
  agent: string;
  model: string;
  /** The user's message; null for a run cancelled before it started. */
  content: string | null;
  priority: number;
  owner: string;
  queuedAt: number;
  /** For a run that edits a question or regenerates an answer. */
  branch?: RunBranch | null;
  /** Set for a run that begins as it is created (stored `running`); else it is stored `queued`. */
  startedAt?: number;
}

/** A change to a stored run; only the fields given are written. Times are epoch ms. */
export interface RunChange {
  status?: RunStatus;
  startedAt?: number;
  firstTokenAt?: number | null;
  endedAt?: number;
  usage?: Usage;
  finishReason?: FinishReason | null;
  error?: RunError | null;
  checkpoint?: RunCheckpoint | null;
  parked?: ParkedRun | null;
  cancelReason?: string | null;
  /** The model that answered, when a fallback took over from the one the run started with. */
  model?: string;
}

const date = (value: number | null) => (value === null ? null : new Date(value));
const json = <T>(value: string | null): T | null => (value === null ? null : (JSON.parse(value) as T));

function toStoredRun(row: RunRow): StoredRun {
  const parked = json<ParkedRun>(row.waiting);
  return {
    id: row.id,
    userId: row.user_id,
    sessionId: row.session_id,
    requestId: row.request_id,
    status: row.status as RunStatus,
    agent: row.agent,
    model: row.model,
    priority: row.priority,
    usage: json<Usage>(row.usage),
    finishReason: row.finish_reason as FinishReason | null,
    error: json<RunError>(row.error),
    queuedAt: new Date(row.queued_at),
    startedAt: date(row.started_at),
    firstTokenAt: date(row.first_token_at),
    endedAt: date(row.ended_at),
    approvals: parked?.approvals ?? [],
    approvalsExpireAt: date(parked?.expiresAt ?? null),
    content: row.content,
    owner: row.owner,
    epoch: row.epoch,
    checkpoint: json<RunCheckpoint>(row.checkpoint),
    parked,
    cancelReason: row.cancel_reason,
    branch: json<RunBranch>(row.branch),
  };
}

/** The contract's record of a stored run (what runs.get answers). */
export function toRun(run: StoredRun): Run {
  const { userId: _userId, content: _content, owner: _owner, epoch: _epoch, checkpoint: _checkpoint, parked: _parked, cancelReason: _cancelReason, branch: _branch, ...record } = run;
  return record;
}

function toRunUpdate(change: RunChange): RunUpdate {
  const update: RunUpdate = {};
  if (change.status !== undefined) update.status = change.status;
  if (change.startedAt !== undefined) update.started_at = change.startedAt;
  if (change.firstTokenAt !== undefined) update.first_token_at = change.firstTokenAt;
  if (change.endedAt !== undefined) update.ended_at = change.endedAt;
  if (change.usage !== undefined) update.usage = JSON.stringify(change.usage);
  if (change.finishReason !== undefined) update.finish_reason = change.finishReason;
  if (change.error !== undefined) update.error = change.error === null ? null : JSON.stringify(change.error);
  if (change.checkpoint !== undefined) update.checkpoint = change.checkpoint === null ? null : JSON.stringify(change.checkpoint);
  if (change.parked !== undefined) update.waiting = change.parked === null ? null : JSON.stringify(change.parked);
  if (change.cancelReason !== undefined) update.cancel_reason = change.cancelReason;
  if (change.model !== undefined) update.model = change.model;
  return update;
}

const insertRunRow = new StatementTemplate((db, args: Omit<NewRun, 'branch' | 'startedAt'> & { status: RunStatus; startedAt: number | null; branch: string | null }) =>
  db.insertInto('runs').values({
    id: args.id,
    user_id: args.userId,
    session_id: args.sessionId,
    request_id: args.requestId,
    status: args.status,
    agent: args.agent,
    model: args.model,
    queued_at: args.queuedAt,
    started_at: args.startedAt,
    content: args.content,
    priority: args.priority,
    owner: args.owner,
    branch: args.branch,
  }),
);

export async function insertRun(db: Kysely<Database>, run: NewRun): Promise<void> {
  await insertRunRow.execute(db, {
    ...run,
    status: run.startedAt === undefined ? 'queued' : 'running',
    startedAt: run.startedAt ?? null,
    branch: run.branch ? JSON.stringify(run.branch) : null,
  });
}

/** The user's run, or undefined when it does not exist or is someone else's. */
export async function findRun(db: Kysely<Database>, userId: string, runId: string): Promise<StoredRun | undefined> {
  const row = await db.selectFrom('runs').selectAll().where('id', '=', runId).where('user_id', '=', userId).executeTakeFirst();
  return row && toStoredRun(row);
}

const runByRequest = new StatementTemplate((db, args: { userId: string; requestId: string }) =>
  db.selectFrom('runs').selectAll().where('user_id', '=', args.userId).where('request_id', '=', args.requestId),
);

/** The user's run started with `requestId`, if any. */
export async function findRunByRequest(db: Kysely<Database>, userId: string, requestId: string): Promise<StoredRun | undefined> {
  const [row] = (await runByRequest.execute(db, { userId, requestId })).rows;
  return row && toStoredRun(row);
}

/**
 * Writes a change to a run. With `lease`, only while the run is still held in it (owner and epoch):
 * otherwise nothing is written and `RunLeaseLost` is thrown.
 */
export async function updateRun(db: Kysely<Database>, runId: string, change: RunChange, lease?: RunLease): Promise<void> {
  const update = toRunUpdate(change);
  // A template per set of columns written (a run's transitions each write the same few).
  const columns = Object.keys(update) as (keyof RunUpdate)[];
  const shape = lease ? `${columns.join()} leased` : columns.join();
  const build = (db: Kysely<Database>, args: RunUpdateArgs) => {
    const query = db.updateTable('runs').set(fieldsOf(args, columns)).where('id', '=', args.where_id);
    return lease ? query.where('owner', '=', args.where_owner).where('epoch', '=', args.where_epoch) : query;
  };
  const result = await runUpdates.execute(db, shape, build, { ...update, where_id: runId, ...(lease ? { where_owner: lease.owner, where_epoch: lease.epoch } : {}) } as RunUpdateArgs);
  if (lease && Number(result.numAffectedRows) === 0) throw new RunLeaseLost(runId);
}

/** What a run's update binds: the columns it writes, and the run (and lease) it applies to. */
type RunUpdateArgs = RunUpdate & { where_id: string; where_owner: string; where_epoch: number };
const runUpdates = new StatementShapes<RunUpdateArgs>();

/** Runs not ended (`queued`, `running`, `waiting`), every user's, oldest first. */
export async function findUnfinishedRuns(db: Kysely<Database>): Promise<StoredRun[]> {
  const rows = await db.selectFrom('runs').selectAll().where('status', 'in', ['queued', 'running', 'waiting']).orderBy('queued_at').execute();
  return rows.map(toStoredRun);
}

/** A session's runs not ended, in the order they were sent. */
export async function unfinishedRunsOfSession(db: Kysely<Database>, sessionId: string): Promise<StoredRun[]> {
  const rows = await db
    .selectFrom('runs')
    .selectAll()
    .where('session_id', '=', sessionId)
    .where('status', 'in', ['queued', 'running', 'waiting'])
    .orderBy('queued_at')
    .orderBy('id')
    .execute();
  return rows.map(toStoredRun);
}

/**
 * Takes an unfinished run over: makes `owner` its owner in a new epoch if it is still held by
 * `from` in `epoch` (a dead instance, or this instance before a restart) and not ended. One instance
 * wins when several try at once; every write of the former holder fails from then on. Resolves to
 * the new lease, or undefined when this call lost.
 */
export async function claimRun(db: Kysely<Database>, run: { id: string; owner: string | null; epoch: number }, owner: string): Promise<RunLease | undefined> {
  const result = await db
    .updateTable('runs')
    .set({ owner, epoch: run.epoch + 1 })
    .where('id', '=', run.id)
    .where((where) => (run.owner === null ? where('owner', 'is', null) : where('owner', '=', run.owner)))
    .where('epoch', '=', run.epoch)
    .where('status', 'in', ['queued', 'running', 'waiting'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? { owner, epoch: run.epoch + 1 } : undefined;
}

/** The user's runs, newest first (ids are time-ordered), optionally of one session and in some statuses. */
export async function listRuns(
  db: Kysely<Database>,
  userId: string,
  options: { sessionId?: string; status?: RunStatus[]; cursor?: string; limit: number },
): Promise<{ items: Run[]; nextCursor: string | null }> {
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
  return { items: page.map((row) => toRun(toStoredRun(row))), nextCursor: rows.length > options.limit && last ? encodeCursor([last.id]) : null };
}

/** The user's runs of a session after `afterId` (all of them when null), oldest first, as ids and statuses: what a session's follower needs to find new runs. */
export async function sessionRunsAfter(
  db: Kysely<Database>,
  userId: string,
  sessionId: string,
  afterId: string | null,
  limit: number,
): Promise<{ id: string; status: RunStatus }[]> {
  let query = db.selectFrom('runs').select(['id', 'status']).where('user_id', '=', userId).where('session_id', '=', sessionId);
  if (afterId) query = query.where('id', '>', afterId);
  const rows = await query.orderBy('id').limit(limit).execute();
  return rows.map((row) => ({ id: row.id, status: row.status as RunStatus }));
}

/** The id of the user's newest run of a session before `beforeId` (the newest of all when null), or null. */
export async function newestSessionRunBefore(db: Kysely<Database>, userId: string, sessionId: string, beforeId: string | null): Promise<string | null> {
  let query = db.selectFrom('runs').select('id').where('user_id', '=', userId).where('session_id', '=', sessionId);
  if (beforeId) query = query.where('id', '<', beforeId);
  const row = await query.orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row?.id ?? null;
}
