import { sql, type Kysely } from 'kysely';

/**
 * Messages form a tree: `parent_id` is the message a message follows (null for a session's first
 * messages), so an edited question or a regenerated answer starts a new branch beside the old one.
 * `active` (0/1) marks the messages of the branch the session shows and the model sees: the path
 * from a root to the active leaf. The history page is then the session's active messages from the
 * cursor on (`messages_by_branch`), one statement, however long the session; siblings are counted
 * through `messages_by_parent`. A run that edits or regenerates keeps that intent in
 * `runs.branch` (JSON) until it begins.
 *
 * Existing sessions are linear: each message's parent is the one before it, and all are active.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('parent_id', 'text').execute();
  await db.schema.alterTable('messages').addColumn('active', 'integer', (column) => column.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('runs').addColumn('branch', 'text').execute();
  await sql`update messages set parent_id = (select max(previous.id) from messages previous where previous.session_id = messages.session_id and previous.id < messages.id)`.execute(db);
  await db.schema.createIndex('messages_by_branch').on('messages').columns(['session_id', 'active', 'id']).execute();
  await db.schema.createIndex('messages_by_parent').on('messages').columns(['session_id', 'parent_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_by_parent').execute();
  await db.schema.dropIndex('messages_by_branch').execute();
  await db.schema.alterTable('runs').dropColumn('branch').execute();
  await db.schema.alterTable('messages').dropColumn('active').execute();
  await db.schema.alterTable('messages').dropColumn('parent_id').execute();
}
