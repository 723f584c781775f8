import type { Kysely } from 'kysely';

/** Users, their tokens, sessions, messages and runs. Runs on SQLite and PostgreSQL alike. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('label', 'text', (column) => column.notNull())
    .addColumn('token_hash', 'text', (column) => column.notNull().unique())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'text')
    .addColumn('agent', 'text', (column) => column.notNull())
    .addColumn('model', 'text')
    .addColumn('metadata', 'text', (column) => column.notNull())
    .addColumn('archived', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addColumn('last_message_at', 'bigint')
    .addColumn('activity_at', 'bigint', (column) => column.notNull())
    .addColumn('message_count', 'integer', (column) => column.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('sessions_by_user_activity')
    .on('sessions')
    .columns(['user_id', 'archived', 'activity_at', 'id'])
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('session_id', 'text', (column) => column.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (column) => column.notNull())
    .addColumn('run_id', 'text')
    .addColumn('role', 'text', (column) => column.notNull())
    .addColumn('content', 'text', (column) => column.notNull())
    .addColumn('parts', 'text', (column) => column.notNull())
    .addColumn('agent', 'text')
    .addColumn('model', 'text')
    .addColumn('usage', 'text')
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('messages_by_session').on('messages').columns(['session_id', 'id']).execute();

  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) => column.notNull().references('users.id').onDelete('cascade'))
    .addColumn('session_id', 'text')
    .addColumn('request_id', 'text')
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('agent', 'text', (column) => column.notNull())
    .addColumn('model', 'text', (column) => column.notNull())
    .addColumn('usage', 'text')
    .addColumn('finish_reason', 'text')
    .addColumn('error', 'text')
    .addColumn('queued_at', 'bigint', (column) => column.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('first_token_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .execute();
  await db.schema.createIndex('runs_by_request').on('runs').columns(['user_id', 'request_id']).unique().execute();
  await db.schema.createIndex('runs_by_session').on('runs').columns(['session_id']).execute();
  await db.schema.createIndex('runs_by_status').on('runs').columns(['status']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['runs', 'messages', 'sessions', 'tokens', 'users']) {
    await db.schema.dropTable(table).execute();
  }
}
