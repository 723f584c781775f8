import type { Kysely } from 'kysely';

/**
 * A fencing token: every takeover of a run (a new owner, or the same instance after a restart) adds
 * one, and every write that checkpoints, parks, resumes or ends a run is conditional on the owner
 * and epoch its writer holds, so an instance that lost a run can never store a second outcome.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('epoch', 'integer', (column) => column.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('epoch').execute();
}
