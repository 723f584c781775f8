import type { Kysely } from 'kysely';

/**
 * Durable runs: the user's message and priority kept on the run (so a crash before the run began
 * loses nothing), the partial answer checkpointed while it streams, and each session's policy for
 * a message sent while a run is active.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('content', 'text').execute();
  await db.schema.alterTable('runs').addColumn('priority', 'integer', (column) => column.notNull().defaultTo(5)).execute();
  await db.schema.alterTable('runs').addColumn('checkpoint', 'text').execute();
  await db.schema
    .alterTable('sessions')
    .addColumn('busy_policy', 'text', (column) => column.notNull().defaultTo('enqueue'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('busy_policy').execute();
  for (const column of ['checkpoint', 'priority', 'content']) {
    await db.schema.alterTable('runs').dropColumn(column).execute();
  }
}
