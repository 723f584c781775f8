import type { Kysely } from 'kysely';

/** Follow-up questions suggested with an assistant message: a JSON array of strings, or null. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('suggestions', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('suggestions').execute();
}
