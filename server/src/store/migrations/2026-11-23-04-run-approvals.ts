import type { Kysely } from 'kysely';

/**
 * Approvals: a run paused for the user's decision keeps everything it needs to continue on its row
 * (JSON: the step's tool calls and their decisions, the run's messages and output so far, its
 * events), so it survives a restart.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('waiting', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('waiting').execute();
}
