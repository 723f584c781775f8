import type { Kysely } from 'kysely';

/**
 * Retention: the prune finds sessions by their last activity (`updated_at`) and finished runs by
 * their end (`ended_at`) across every user, which no existing index serves. `leases` holds named,
 * expiring leases in the database (the retention timer's: one instance of several prunes per
 * interval), on both dialects and with or without Redis.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('sessions_by_update').on('sessions').columns(['updated_at', 'id']).execute();
  await db.schema.createIndex('runs_by_end').on('runs').columns(['ended_at']).execute();
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (column) => column.primaryKey())
    .addColumn('holder', 'text', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('leases').execute();
  await db.schema.dropIndex('runs_by_end').execute();
  await db.schema.dropIndex('sessions_by_update').execute();
}
