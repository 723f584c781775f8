import type { Kysely } from 'kysely';

/**
 * Tools the user allowed for a whole session ("always allow"): their calls in that session run
 * without asking for approval. A JSON array of tool names.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('allowed_tools', 'text', (column) => column.notNull().defaultTo('[]')).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('allowed_tools').execute();
}
