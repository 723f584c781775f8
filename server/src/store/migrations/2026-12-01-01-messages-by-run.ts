import type { Kysely } from 'kysely';

/**
 * A run's answer is found by its run id (`findRunAnswer`: the outcome of a run this process no
 * longer holds, a repeated requestId, a replay after the retention time). Without an index that is
 * a scan of every user's messages: 18 ms at 120,000 messages on SQLite, growing with the table.
 * The history page needs nothing new: `messages_by_session (session_id, id)` serves it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('messages_by_run').on('messages').column('run_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_by_run').execute();
}
