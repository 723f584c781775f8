import type { Kysely } from 'kysely';

/**
 * The usage ledger: one row per model a run used, with its token counts and its cost at the prices
 * of the time. Not tied to sessions or runs by foreign keys: deleting a session keeps what it cost.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('usage_ledger')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('run_id', 'text', (column) => column.notNull())
    .addColumn('session_id', 'text')
    .addColumn('agent', 'text', (column) => column.notNull())
    .addColumn('model', 'text', (column) => column.notNull())
    .addColumn('input_tokens', 'bigint', (column) => column.notNull())
    .addColumn('output_tokens', 'bigint', (column) => column.notNull())
    .addColumn('cached_input_tokens', 'bigint', (column) => column.notNull())
    .addColumn('cache_write_input_tokens', 'bigint', (column) => column.notNull())
    .addColumn('reasoning_tokens', 'bigint', (column) => column.notNull())
    .addColumn('cost', 'double precision', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('usage_ledger_by_user_time').on('usage_ledger').columns(['user_id', 'created_at']).execute();
  await db.schema.createIndex('usage_ledger_by_time').on('usage_ledger').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('usage_ledger').execute();
}
