import type { Kysely } from 'kysely';

/**
 * Approvals: a run paused for the user's decision keeps everything it needs to continue on its row
 * (JSON: the step's tool calls and their decisions, the run's messages and output so far, its
 * events), so it survives a restart. Runs are listed per user, newest first (runs.list), which
 * finds a session's waiting run from another tab or device.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('waiting', 'text').execute();
  await db.schema.createIndex('runs_by_user').on('runs').columns(['user_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('runs_by_user').execute();
  await db.schema.alterTable('runs').dropColumn('waiting').execute();
}
