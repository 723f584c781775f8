import type { Kysely } from 'kysely';

/**
 * Per-user overrides of the rate, concurrency and budget limits (`threadline-server user limits`).
 * A null column means "the server's default" (THREADLINE_LIMIT_*); 0 means unlimited.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('user_limits')
    .addColumn('user_id', 'text', (column) => column.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('requests_per_minute', 'integer')
    .addColumn('runs_per_minute', 'integer')
    .addColumn('active_runs', 'integer')
    .addColumn('open_streams', 'integer')
    .addColumn('tokens_per_day', 'bigint')
    .addColumn('tokens_per_month', 'bigint')
    .addColumn('cost_per_month', 'double precision')
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('user_limits').execute();
}
