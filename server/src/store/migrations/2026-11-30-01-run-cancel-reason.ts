import type { Kysely } from 'kysely';

/**
 * Why a cancelled run was cancelled ("cancelled by the user", "interrupted by a newer message"),
 * so that a run replayed from the store ends with the same `run-cancel` reason it streamed live.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('cancel_reason', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('cancel_reason').execute();
}
