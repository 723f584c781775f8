import type { Kysely } from 'kysely';

/**
 * The user's rating of an answer (`up` | `down`), an optional comment, and when it was given;
 * `messages_by_rating` lets `threadline-server feedback --since` read recent ratings without
 * scanning every message.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('rating', 'text').execute();
  await db.schema.alterTable('messages').addColumn('rating_comment', 'text').execute();
  await db.schema.alterTable('messages').addColumn('rated_at', 'bigint').execute();
  await db.schema.createIndex('messages_by_rating').on('messages').columns(['rated_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_by_rating').execute();
  await db.schema.alterTable('messages').dropColumn('rated_at').execute();
  await db.schema.alterTable('messages').dropColumn('rating_comment').execute();
  await db.schema.alterTable('messages').dropColumn('rating').execute();
}
