import { sql, type Kysely } from 'kysely';
import type { Message, MessagePart, MessageStatus, Role, Usage } from '@threadline/shared';
import { decodeCursor, encodeCursor } from './cursor.js';
import { containing } from './like-pattern.js';
import type { Database, MessageRow } from './database.js';

/** Row → contract shape. */
function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    sessionId: row.session_id,
    runId: row.run_id,
    role: row.role as Role,
    content: row.content,
    parts: JSON.parse(row.parts) as MessagePart[],
    agent: row.agent,
    model: row.model,
    usage: row.usage === null ? null : (JSON.parse(row.usage) as Usage),
    status: row.status as MessageStatus,
    createdAt: new Date(row.created_at),
    ...(row.suggestions === null ? {} : { suggestions: JSON.parse(row.suggestions) as string[] }),
  };
}

/** A message about to be stored; its id and time are given so the caller can report them. */
function messageRow(message: Message & { sessionId: string }, userId: string): MessageRow {
  return {
    id: message.id,
    session_id: message.sessionId,
    user_id: userId,
    run_id: message.runId,
    role: message.role,
    content: message.content,
    parts: JSON.stringify(message.parts),
    agent: message.agent,
    model: message.model,
    usage: message.usage === null ? null : JSON.stringify(message.usage),
    status: message.status,
    created_at: message.createdAt.getTime(),
    suggestions: message.suggestions === undefined ? null : JSON.stringify(message.suggestions),
  };
}

export async function insertMessages(
  db: Kysely<Database>,
  userId: string,
  messages: (Message & { sessionId: string })[],
): Promise<void> {
  if (messages.length === 0) return;
  await db
    .insertInto('messages')
    .values(messages.map((message) => messageRow(message, userId)))
    .execute();
}

/**
 * A page of a session's messages, oldest first, keyed on the time-ordered id. With `userId`, only of
 * that user's session: the statement checks the session's owner itself (see `historyPage`).
 */
export async function listMessages(
  db: Kysely<Database>,
  sessionId: string,
  options: { cursor?: string; limit: number; userId?: string },
): Promise<{ messages: Message[]; nextCursor: string | null }> {
  const { userId } = options;
  let query = db.selectFrom('messages').selectAll().where('session_id', '=', sessionId);
  // Uncorrelated, so evaluated once, and the page keeps its plan (the session's index, from the cursor on).
  if (userId !== undefined) query = query.where((eb) => eb.exists(eb.selectFrom('sessions').select('id').where('id', '=', sessionId).where('user_id', '=', userId)));
  if (options.cursor) {
    const [afterId] = decodeCursor(options.cursor, ['string']);
    query = query.where('id', '>', afterId);
  }
  const rows = await query.orderBy('id').limit(options.limit + 1).execute();
  const page = rows.slice(0, options.limit);
  const last = page.at(-1);
  return { messages: page.map(toMessage), nextCursor: rows.length > options.limit && last ? encodeCursor([last.id]) : null };
}

/**
 * What `sessions.history` answers: a page of the user's session, or undefined when the user has no
 * such session (another user's finds nothing, as a missing one). One statement for a page with
 * messages; a second one only to tell an empty page from a session that is not theirs, and to let
 * NOT_FOUND win over a malformed cursor, as it would without one.
 */
export async function historyPage(
  db: Kysely<Database>,
  userId: string,
  sessionId: string,
  options: { cursor?: string; limit: number },
): Promise<{ messages: Message[]; nextCursor: string | null } | undefined> {
  const owned = async () => (await db.selectFrom('sessions').select('id').where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst()) !== undefined;
  let page: { messages: Message[]; nextCursor: string | null };
  try {
    page = await listMessages(db, sessionId, { ...options, userId });
  } catch (error) {
    if (!(await owned())) return undefined;
    throw error;
  }
  return page.messages.length > 0 || (await owned()) ? page : undefined;
}

/** The whole conversation of a session, oldest first, for the model. */
export async function allMessages(db: Kysely<Database>, sessionId: string): Promise<Message[]> {
  const rows = await db.selectFrom('messages').selectAll().where('session_id', '=', sessionId).orderBy('id').execute();
  return rows.map(toMessage);
}

/** The assistant message a run stored in its session, if any. */
export async function findRunAnswer(db: Kysely<Database>, runId: string): Promise<Message | undefined> {
  const row = await db.selectFrom('messages').selectAll().where('run_id', '=', runId).where('role', '=', 'assistant').executeTakeFirst();
  return row && toMessage(row);
}

/** A message found by `searchMessages`, with its session's title. */
export interface MessageHit {
  sessionId: string;
  sessionTitle: string | null;
  role: Role;
  content: string;
  createdAt: Date;
}

/**
 * The user's own messages (never another user's) containing any of `words` (case-insensitive),
 * newest first; `exceptRunId` leaves out the messages of the run asking.
 */
export async function searchMessages(
  db: Kysely<Database>,
  userId: string,
  words: string[],
  options: { exceptRunId?: string; limit: number },
): Promise<MessageHit[]> {
  if (words.length === 0) return [];
  let query = db
    .selectFrom('messages')
    .innerJoin('sessions', 'sessions.id', 'messages.session_id')
    .select(['messages.session_id', 'sessions.title', 'messages.role', 'messages.content', 'messages.created_at'])
    .where('messages.user_id', '=', userId)
    .where('sessions.user_id', '=', userId)
    .where((eb) => eb.or(words.map((word) => sql<boolean>`lower(${eb.ref('messages.content')}) like ${containing(word)} escape '\\'`)));
  if (options.exceptRunId) {
    const runId = options.exceptRunId;
    query = query.where((eb) => eb.or([eb('messages.run_id', 'is', null), eb('messages.run_id', '!=', runId)]));
  }
  const rows = await query.orderBy('messages.created_at', 'desc').limit(options.limit).execute();
  return rows.map((row) => ({ sessionId: row.session_id, sessionTitle: row.title, role: row.role as Role, content: row.content, createdAt: new Date(row.created_at) }));
}
