import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * The audit trail: who did what to which target, when and from where (user and token creation and
 * revocation, limit and budget changes, prunes and other operator actions). Append-only: the code
 * has no update or delete path, and the database refuses both (a trigger on each dialect), so a
 * trail once written stays as written. No foreign keys: an entry outlives the user or token it
 * names, and the prune never touches this table.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('at', 'bigint', (column) => column.notNull())
    .addColumn('actor_kind', 'text', (column) => column.notNull())
    .addColumn('actor', 'text', (column) => column.notNull())
    .addColumn('actor_user_id', 'text')
    .addColumn('actor_token_id', 'text')
    .addColumn('origin', 'text', (column) => column.notNull())
    .addColumn('action', 'text', (column) => column.notNull())
    .addColumn('target', 'text')
    .addColumn('details', 'text', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('audit_events_by_time').on('audit_events').columns(['at', 'id']).execute();
  await db.schema.createIndex('audit_events_by_action').on('audit_events').columns(['action', 'at']).execute();

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`
      create function audit_events_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'the audit trail is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
      end
      $$`.execute(db);
    await sql`create trigger audit_events_no_update before update or delete on audit_events for each row execute function audit_events_append_only()`.execute(db);
    await sql`create trigger audit_events_no_truncate before truncate on audit_events for each statement execute function audit_events_append_only()`.execute(db);
  } else {
    await sql`create trigger audit_events_no_update before update on audit_events begin select raise(abort, 'the audit trail is append-only: UPDATE refused'); end`.execute(db);
    await sql`create trigger audit_events_no_delete before delete on audit_events begin select raise(abort, 'the audit trail is append-only: DELETE refused'); end`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  // Dropping the table drops its triggers on both dialects; the PostgreSQL function goes after.
  await db.schema.dropTable('audit_events').execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) await sql`drop function audit_events_append_only()`.execute(db);
}
