import type { Kysely } from 'kysely';

/**
 * Which instance holds a run: with several instances on one database (REDIS_URL), an instance
 * recovers only its own runs and those of instances whose heartbeat stopped, never a live one's.
 * Null for runs from before this migration (taken by whichever instance recovers first).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('owner', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('owner').execute();
}
