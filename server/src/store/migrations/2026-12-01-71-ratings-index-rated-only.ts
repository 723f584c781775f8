import { sql, type Kysely } from 'kysely';

/**
 * `messages_by_rating` holds rated messages only: every message stored went into it with a null
 * `rated_at`, one more index page written per message (and per run, two) for the few that are
 * ever rated. `threadline-server feedback --since` asks `rated_at >= ?`, which implies the index's
 * condition on both databases, so its plan keeps the index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_by_rating').execute();
  await db.schema.createIndex('messages_by_rating').on('messages').columns(['rated_at']).where(sql.ref('rated_at'), 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_by_rating').execute();
  await db.schema.createIndex('messages_by_rating').on('messages').columns(['rated_at']).execute();
}
