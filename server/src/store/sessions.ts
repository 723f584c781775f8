import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { BusyPolicy, Metadata, Session } from '@threadline/shared';
import { newId } from '../ids.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { containing } from './like-pattern.js';
import type { Database, SessionRow, SessionUpdate } from './database.js';
import { everyColumn, fieldsOf, StatementShapes, StatementTemplate } from './statement-template.js';

/** Row → contract shape. */
function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    title: row.title,
    agent: row.agent,
    model: row.model,
    metadata: JSON.parse(row.metadata) as Session['metadata'],
    archived: row.archived === 1,
    busyPolicy: row.busy_policy as BusyPolicy,
    allowedTools: JSON.parse(row.allowed_tools) as string[],
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    lastMessageAt: row.last_message_at === null ? null : new Date(row.last_message_at),
    messageCount: row.message_count,
  };
}

export interface NewSession {
  /** The session's id when the caller chose it (a chat id of the AI SDK endpoint); a new UUIDv7 otherwise. */
  id?: string;
  userId: string;
  title?: string | null;
  agent: string;
  model?: string | null;
  metadata?: Metadata;
  busyPolicy?: BusyPolicy;
}

/** A change to a session; only the fields given are written. */
export interface SessionChange {
  title?: string | null;
  metadata?: Metadata;
  agent?: string;
  model?: string | null;
  busyPolicy?: BusyPolicy;
  allowedTools?: string[];
  archived?: boolean;
}

function toSessionUpdate(change: SessionChange): Omit<SessionUpdate, 'id' | 'user_id'> {
  const update: Omit<SessionUpdate, 'id' | 'user_id'> = {};
  if (change.title !== undefined) update.title = change.title;
  if (change.metadata !== undefined) update.metadata = JSON.stringify(change.metadata);
  if (change.agent !== undefined) update.agent = change.agent;
  if (change.model !== undefined) update.model = change.model;
  if (change.busyPolicy !== undefined) update.busy_policy = change.busyPolicy;
  if (change.allowedTools !== undefined) update.allowed_tools = JSON.stringify([...new Set(change.allowedTools)]);
  if (change.archived !== undefined) update.archived = change.archived ? 1 : 0;
  return update;
}

const SESSION_COLUMNS = everyColumn<SessionRow>()(['id', 'user_id', 'title', 'agent', 'model', 'metadata', 'archived', 'created_at', 'updated_at', 'last_message_at', 'activity_at', 'message_count', 'busy_policy', 'allowed_tools']);
const insertSessionRow = new StatementTemplate((db, args: SessionRow) => db.insertInto('sessions').values(fieldsOf(args, SESSION_COLUMNS)));

export async function createSession(db: Kysely<Database>, input: NewSession, now = Date.now()): Promise<Session> {
  const row: SessionRow = {
    id: input.id ?? newId(),
    user_id: input.userId,
    title: input.title ?? null,
    agent: input.agent,
    model: input.model ?? null,
    metadata: JSON.stringify(input.metadata ?? {}),
    archived: 0,
    created_at: now,
    updated_at: now,
    last_message_at: null,
    activity_at: now,
    message_count: 0,
    busy_policy: input.busyPolicy ?? 'enqueue',
    allowed_tools: '[]',
  };
  await insertSessionRow.execute(db, row);
  return toSession(row);
}

function findSessionRow(db: Kysely<Database>, userId: string, sessionId: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst();
}

/** The user's session, or undefined when it does not exist or belongs to someone else. */
export async function findSession(db: Kysely<Database>, userId: string, sessionId: string): Promise<Session | undefined> {
  const row = await findSessionRow(db, userId, sessionId);
  return row && toSession(row);
}

export interface ListSessionsOptions {
  cursor?: string;
  limit: number;
  archived: boolean;
  query?: string;
}

/** Newest activity first; ties broken by id so paging never skips or repeats. */
export async function listSessions(
  db: Kysely<Database>,
  userId: string,
  options: ListSessionsOptions,
): Promise<{ items: Session[]; nextCursor: string | null }> {
  let query = db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('archived', '=', options.archived ? 1 : 0);
  if (options.query) {
    query = query.where(sql<boolean>`lower(title) like ${containing(options.query.toLowerCase())} escape '\\'`);
  }
  if (options.cursor) {
    const [activityAt, id] = decodeCursor(options.cursor, ['number', 'string']);
    query = query.where((eb) =>
      eb.or([eb('activity_at', '<', activityAt), eb.and([eb('activity_at', '=', activityAt), eb('id', '<', id)])]),
    );
  }
  const rows = await query
    .orderBy('activity_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit + 1)
    .execute();
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > options.limit && last ? encodeCursor([last.activity_at, last.id]) : null;
  return { items: page.map(toSession), nextCursor };
}

/** Applies a change to the user's session; undefined when it is not theirs. */
export async function updateSession(
  db: Kysely<Database>,
  userId: string,
  sessionId: string,
  change: SessionChange,
  now = Date.now(),
): Promise<Session | undefined> {
  await db
    .updateTable('sessions')
    .set({ ...toSessionUpdate(change), updated_at: now })
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .execute();
  return findSession(db, userId, sessionId);
}

/**
 * Records that `count` messages were added at `at`: the counters and the activity sort key.
 * Resolves to what a run beginning there needs of the session (its allowed tools), read by the
 * same statement, or undefined when the session is gone (deleted meanwhile).
 */
export async function recordMessages(
  db: Kysely<Database>,
  sessionId: string,
  count: number,
  at: number,
  change: { agent?: string; titleIfUnset?: string } = {},
): Promise<{ allowedTools: string[] } | undefined> {
  const { agent, titleIfUnset } = change;
  const shape = `${agent === undefined ? '' : 'agent'} ${titleIfUnset === undefined ? '' : 'title'}`;
  const build = (db: Kysely<Database>, args: RecordArgs) =>
    db
      .updateTable('sessions')
      .set((eb) => ({
        ...(agent !== undefined ? { agent: args.agent } : {}),
        ...(titleIfUnset !== undefined ? { title: eb.fn.coalesce('title', eb.val(args.title)) } : {}),
        message_count: eb('message_count', '+', args.count),
        last_message_at: args.at,
        activity_at: args.at,
        updated_at: args.at,
      }))
      .where('id', '=', args.sessionId)
      .returning('allowed_tools');
  const [row] = (await recordings.execute(db, shape, build, { sessionId, count, at, agent: agent ?? '', title: titleIfUnset ?? '' })).rows;
  return row && { allowedTools: JSON.parse(row.allowed_tools) as string[] };
}

/** What `recordMessages` binds (`agent` and `title` only in the shapes that write them). */
interface RecordArgs {
  sessionId: string;
  count: number;
  at: number;
  agent: string;
  title: string;
}
const recordings = new StatementShapes<RecordArgs, { allowed_tools: string }>();

/** Deletes the user's session with its messages and runs, in one transaction. */
export async function deleteSession(db: Kysely<Database>, userId: string, sessionId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const session = await findSessionRow(trx, userId, sessionId);
    if (!session) return false;
    await trx.deleteFrom('messages').where('session_id', '=', sessionId).execute();
    await trx.deleteFrom('runs').where('session_id', '=', sessionId).execute();
    await trx.deleteFrom('sessions').where('id', '=', sessionId).execute();
    return true;
  });
}

/** Removes every message of the user's session, keeping the session itself. */
export async function clearSession(
  db: Kysely<Database>,
  userId: string,
  sessionId: string,
  now = Date.now(),
): Promise<Session | undefined> {
  return db.transaction().execute(async (trx) => {
    const session = await findSessionRow(trx, userId, sessionId);
    if (!session) return undefined;
    await trx.deleteFrom('messages').where('session_id', '=', sessionId).execute();
    await trx
      .updateTable('sessions')
      .set({ message_count: 0, last_message_at: null, activity_at: session.created_at, updated_at: now })
      .where('id', '=', sessionId)
      .execute();
    return findSession(trx, userId, sessionId);
  });
}

/**
 * Sets the title of the user's session only while it has none (a generated title never overwrites
 * one the user gave meanwhile); true when it did.
 */
export async function setTitleIfUnset(db: Kysely<Database>, userId: string, sessionId: string, title: string, now = Date.now()): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ title, updated_at: now })
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('title', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Adds tools to the session's allowed tools (their calls there run without asking). */
export async function allowToolsInSession(db: Kysely<Database>, userId: string, sessionId: string, tools: string[]): Promise<void> {
  if (tools.length === 0) return;
  await db.transaction().execute(async (trx) => {
    const row = await findSessionRow(trx, userId, sessionId);
    if (!row) return;
    const allowed = new Set([...(JSON.parse(row.allowed_tools) as string[]), ...tools]);
    await trx.updateTable('sessions').set({ allowed_tools: JSON.stringify([...allowed]), updated_at: Date.now() }).where('id', '=', sessionId).execute();
  });
}
