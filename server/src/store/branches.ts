import { sql, type Kysely } from 'kysely';
import type { Message } from '@threadline/shared';
import type { Database, MessageRow } from './database.js';
import { activeLeaf, MESSAGE_COLUMNS, messageRow, toMessage } from './messages.js';
import { fieldsOf, StatementTemplate } from './statement-template.js';

/**
 * The message tree of a session. Every message has a parent (null for a first message); siblings
 * share one. The active branch is the path from a root to the active leaf, marked `active = 1` on
 * its messages, so reading it (the history page, the model's conversation) is a plain indexed
 * range; making another branch active rewrites the marks of the old and the new path only.
 */

/** The user's message, or undefined when it does not exist or is another user's. */
export async function findUserMessage(db: Kysely<Database>, userId: string, messageId: string): Promise<(Message & { sessionId: string }) | undefined> {
  const row = await db.selectFrom('messages').selectAll().where('id', '=', messageId).where('user_id', '=', userId).executeTakeFirst();
  return row && { ...toMessage(row), sessionId: row.session_id };
}

/**
 * Makes the path from a root to `leafId` the session's active branch (`null`: no branch, before a
 * new first message). One statement: the leaf's ancestors by a recursive query, then every message
 * that was active or is on the path gets its mark.
 */
export async function activateBranch(db: Kysely<Database>, sessionId: string, leafId: string | null): Promise<void> {
  if (leafId === null) {
    await db.updateTable('messages').set({ active: 0 }).where('session_id', '=', sessionId).where('active', '=', 1).execute();
    return;
  }
  await sql`with recursive path (id, parent_id) as (
      select id, parent_id from messages where id = ${leafId} and session_id = ${sessionId}
      union all
      select message.id, message.parent_id from messages message inner join path on message.id = path.parent_id
    )
    update messages set active = case when id in (select id from path) then 1 else 0 end
    where session_id = ${sessionId} and (active = 1 or id in (select id from path))`.execute(db);
}

/** The newest message below `messageId` (itself included): a leaf, since children are newer than their parents. */
export async function newestLeafBelow(db: Kysely<Database>, sessionId: string, messageId: string): Promise<string | undefined> {
  const result = await sql<{ id: string }>`with recursive below (id) as (
      select id from messages where id = ${messageId} and session_id = ${sessionId}
      union all
      select message.id from messages message inner join below on message.parent_id = below.id where message.session_id = ${sessionId}
    )
    select max(id) as id from below`.execute(db);
  return result.rows[0]?.id ?? undefined;
}

/**
 * `sessions.switchBranch`: the branch of the user's message (down to its newest leaf) becomes the
 * session's active one. Resolves to the leaf, or undefined when the user has no such message in
 * that session (another user's looks missing).
 */
export function switchBranch(db: Kysely<Database>, userId: string, sessionId: string, messageId: string): Promise<string | undefined> {
  return db.transaction().execute(async (trx) => {
    const message = await trx.selectFrom('messages').select('id').where('id', '=', messageId).where('session_id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst();
    if (!message) return undefined;
    const leaf = await newestLeafBelow(trx, sessionId, messageId);
    if (!leaf) return undefined;
    await activateBranch(trx, sessionId, leaf);
    return leaf;
  });
}

/** The messages from a root down to `leafId`, oldest first: the conversation a run on that branch answers. */
export async function branchTo(db: Kysely<Database>, sessionId: string, leafId: string): Promise<Message[]> {
  const result = await sql<Parameters<typeof toMessage>[0]>`with recursive path (id, parent_id) as (
      select id, parent_id from messages where id = ${leafId} and session_id = ${sessionId}
      union all
      select message.id, message.parent_id from messages message inner join path on message.id = path.parent_id
    )
    select messages.* from messages inner join path on messages.id = path.id order by messages.id`.execute(db);
  return result.rows.map(toMessage);
}

/** The user message a run stored (its question), if it has begun. */
export async function runQuestionId(db: Kysely<Database>, runId: string): Promise<string | undefined> {
  const row = await db.selectFrom('messages').select('id').where('run_id', '=', runId).where('role', '=', 'user').executeTakeFirst();
  return row?.id;
}

/**
 * Stores a run's answer after its parent (`message.parentId`; absent: the run's own question). It
 * joins the active branch when its parent is the active leaf, as it is unless the user switched
 * branches while it ran; then it is kept on its own branch, and shown by switching to it.
 */
export async function insertAnswer(db: Kysely<Database>, userId: string, message: Message & { sessionId: string }): Promise<void> {
  const row = messageRow(message, userId) as MessageRow;
  if (message.parentId) await insertAnswerAfter.execute(db, row);
  else await insertAnswerAfterQuestion.execute(db, row);
}

/** An answer after `parent_id`: on the active branch when its parent is the active leaf. */
const insertAnswerAfter = new StatementTemplate((db, args: MessageRow) =>
  db.insertInto('messages').values({
    ...fieldsOf(args, MESSAGE_COLUMNS),
    active: sql<number>`case when coalesce(${args.parent_id}, '') = coalesce(${activeLeaf(args.session_id)}, '') then 1 else 0 end`,
  }),
);

/** An answer after its run's question (found by the run), on the active branch when that is the active leaf. */
const insertAnswerAfterQuestion = new StatementTemplate((db, args: MessageRow) => {
  const question = sql<string | null>`(select question.id from messages question where question.run_id = ${args.run_id} and question.role = 'user')`;
  return db.insertInto('messages').values({
    ...fieldsOf(args, MESSAGE_COLUMNS),
    parent_id: question,
    active: sql<number>`case when coalesce(${question}, '') = coalesce(${activeLeaf(args.session_id)}, '') then 1 else 0 end`,
  });
});
