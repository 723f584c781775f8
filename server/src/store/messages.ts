import { sql, type InsertObject, type Kysely, type RawBuilder } from 'kysely';
import type { Message, MessagePart, MessageStatus, Rating, Role, Usage } from '@threadline/shared';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { Database, MessageRow, NewMessageRow } from './database.js';
import { everyColumn, fieldsOf, StatementTemplate } from './statement-template.js';

/** A message row, with its siblings counted when the query did (the history page). */
type CountedRow = MessageRow & { sibling_count?: unknown; sibling_index?: unknown; previous_sibling_id?: unknown; next_sibling_id?: unknown };

/** Row → contract shape. */
export function toMessage(row: CountedRow): Message {
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
    parentId: row.parent_id,
    ...(row.sibling_count === undefined ? {} : { siblingCount: Number(row.sibling_count) }),
    ...(row.sibling_index === undefined ? {} : { siblingIndex: Number(row.sibling_index) }),
    ...(row.previous_sibling_id === undefined ? {} : { previousSiblingId: (row.previous_sibling_id as string | null) ?? null }),
    ...(row.next_sibling_id === undefined ? {} : { nextSiblingId: (row.next_sibling_id as string | null) ?? null }),
    ...(row.rating === null ? {} : { rating: row.rating as Rating, ratingComment: row.rating_comment, ratedAt: row.rated_at === null ? null : new Date(row.rated_at) }),
  };
}

/**
 * A message about to be stored; its id and time are given so the caller can report them. Its
 * `parentId` is kept as given (none: a first message); it is on the active branch unless `active`
 * says otherwise.
 */
export function messageRow(message: Message & { sessionId: string }, userId: string, active = true): NewMessageRow {
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
    parent_id: message.parentId ?? null,
    active: active ? 1 : 0,
    rating: message.rating ?? null,
    rating_comment: message.rating ? (message.ratingComment ?? null) : null,
    rated_at: message.rating && message.ratedAt ? message.ratedAt.getTime() : null,
  };
}

/**
 * The session's active leaf: the newest message on its active branch (ids are time-ordered and a
 * message is always newer than its parent, so the leaf is the active message with the largest id).
 */
export function activeLeaf(sessionId: string): RawBuilder<string | null> {
  return sql<string | null>`(select leaf.id from messages leaf where leaf.session_id = ${sessionId} and leaf.active = 1 order by leaf.id desc limit 1)`;
}

/** Every column of a message row, in the order inserts name them. */
export const MESSAGE_COLUMNS = everyColumn<MessageRow>()(['id', 'session_id', 'user_id', 'run_id', 'role', 'content', 'parts', 'agent', 'model', 'usage', 'status', 'created_at', 'suggestions', 'parent_id', 'active', 'rating', 'rating_comment', 'rated_at']);
const insertMessageRow = new StatementTemplate((db, args: MessageRow) => db.insertInto('messages').values(fieldsOf(args, MESSAGE_COLUMNS)));
const insertMessageAfterLeaf = new StatementTemplate((db, args: MessageRow) =>
  db.insertInto('messages').values({ ...fieldsOf(args, MESSAGE_COLUMNS), parent_id: activeLeaf(args.session_id) }),
);

/**
 * Stores messages on the active branch. One without a `parentId` follows the message before it in
 * `messages`, or, the first, the session's active leaf (appended to the conversation shown), in the
 * same statement.
 */
export async function insertMessages(
  db: Kysely<Database>,
  userId: string,
  messages: (Message & { sessionId: string })[],
): Promise<void> {
  if (messages.length === 0) return;
  if (messages.length === 1) {
    // A run's question: one row, the same statement every time.
    const message = messages[0]!;
    const row = messageRow(message, userId) as MessageRow;
    if (message.parentId !== undefined) await insertMessageRow.execute(db, row);
    else await insertMessageAfterLeaf.execute(db, row);
    return;
  }
  const rows: InsertObject<Database, 'messages'>[] = messages.map((message, index) => {
    const row = messageRow(message, userId);
    if (message.parentId !== undefined) return row;
    const previous = messages[index - 1];
    return { ...row, parent_id: previous && previous.sessionId === message.sessionId ? previous.id : activeLeaf(message.sessionId) };
  });
  await db.insertInto('messages').values(rows).execute();
}

/**
 * A correlated subquery over a message's siblings (the messages of its session with the same
 * parent, itself included): `count(*)` of them, or of those up to it (its 1-based place), or the
 * newest before it and the oldest after it. Each is a range of `messages_by_parent`.
 */
function siblings(aggregate: 'count' | 'index' | 'previous' | 'next'): RawBuilder<unknown> {
  const select = { count: sql`count(*)`, index: sql`count(*)`, previous: sql`max(sibling.id)`, next: sql`min(sibling.id)` }[aggregate];
  const where = { count: sql``, index: sql`and sibling.id <= messages.id`, previous: sql`and sibling.id < messages.id`, next: sql`and sibling.id > messages.id` }[aggregate];
  return sql`case when messages.parent_id is null
    then (select ${select} from messages sibling where sibling.session_id = messages.session_id and sibling.parent_id is null ${where})
    else (select ${select} from messages sibling where sibling.session_id = messages.session_id and sibling.parent_id = messages.parent_id ${where}) end`;
}

/**
 * A page of a session's active branch, oldest first, keyed on the time-ordered id, each message with
 * its siblings counted. With `userId`, only of that user's session: the statement checks the
 * session's owner itself (see `historyPage`).
 */
export async function listMessages(
  db: Kysely<Database>,
  sessionId: string,
  options: { cursor?: string; limit: number; userId?: string },
): Promise<{ messages: Message[]; nextCursor: string | null }> {
  const { userId } = options;
  let query = db
    .selectFrom('messages')
    .selectAll()
    .select([
      siblings('count').as('sibling_count'),
      siblings('index').as('sibling_index'),
      siblings('previous').as('previous_sibling_id'),
      siblings('next').as('next_sibling_id'),
    ])
    .where('session_id', '=', sessionId)
    .where('active', '=', 1);
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

/** The conversation the session shows and the model sees: its active branch, oldest first. */
export async function activeMessages(db: Kysely<Database>, sessionId: string): Promise<Message[]> {
  const rows = await db.selectFrom('messages').selectAll().where('session_id', '=', sessionId).where('active', '=', 1).orderBy('id').execute();
  return rows.map(toMessage);
}

/** Every message of a session, of every branch, oldest first. */
export async function allMessages(db: Kysely<Database>, sessionId: string): Promise<Message[]> {
  const rows = await db.selectFrom('messages').selectAll().where('session_id', '=', sessionId).orderBy('id').execute();
  return rows.map(toMessage);
}

/** The assistant message a run stored in its session, if any. */
export async function findRunAnswer(db: Kysely<Database>, runId: string): Promise<Message | undefined> {
  const row = await db.selectFrom('messages').selectAll().where('run_id', '=', runId).where('role', '=', 'assistant').executeTakeFirst();
  return row && toMessage(row);
}
