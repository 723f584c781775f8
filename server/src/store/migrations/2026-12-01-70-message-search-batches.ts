import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * SQLite's full-text index is filled in batches instead of by each insert.
 *
 * An FTS5 insert writes a new segment of the index (about 3.4 pages of SQLite's WAL per message,
 * merged again later): with two messages a run, the search index was a tenth of what a run wrote.
 * A stored message now only leaves its rowid in `messages_fts_pending` (one small row); the pending
 * messages are added to the index together (`indexPendingMessages` in store/search.ts), before
 * every search and every second or so, so a search never misses one. A message deleted or changed
 * before it was indexed has nothing in the index to take out; one indexed already is taken out as
 * before (FTS5 must be told the exact text it indexed).
 *
 * PostgreSQL's expression index is kept by every write and is not changed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return;
  await sql`create table messages_fts_pending (message_rowid integer primary key)`.execute(db);
  for (const trigger of ['messages_fts_insert', 'messages_fts_delete', 'messages_fts_update']) await sql.raw(`drop trigger ${trigger}`).execute(db);
  await sql`create trigger messages_fts_insert after insert on messages begin
      insert into messages_fts_pending (message_rowid) values (new.rowid);
    end`.execute(db);
  await sql`create trigger messages_fts_delete after delete on messages begin
      insert into messages_fts (messages_fts, rowid, content) select 'delete', old.rowid, old.content
        where not exists (select 1 from messages_fts_pending where message_rowid = old.rowid);
      delete from messages_fts_pending where message_rowid = old.rowid;
    end`.execute(db);
  await sql`create trigger messages_fts_update after update of content on messages begin
      insert into messages_fts (messages_fts, rowid, content) select 'delete', old.rowid, old.content
        where not exists (select 1 from messages_fts_pending where message_rowid = old.rowid);
      insert or ignore into messages_fts_pending (message_rowid) values (new.rowid);
    end`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return;
  await sql`insert into messages_fts (rowid, content) select m.rowid, m.content from messages m where m.rowid in (select message_rowid from messages_fts_pending)`.execute(db);
  for (const trigger of ['messages_fts_insert', 'messages_fts_delete', 'messages_fts_update']) await sql.raw(`drop trigger ${trigger}`).execute(db);
  await sql`drop table messages_fts_pending`.execute(db);
  await sql`create trigger messages_fts_insert after insert on messages begin
      insert into messages_fts (rowid, content) values (new.rowid, new.content);
    end`.execute(db);
  await sql`create trigger messages_fts_delete after delete on messages begin
      insert into messages_fts (messages_fts, rowid, content) values ('delete', old.rowid, old.content);
    end`.execute(db);
  await sql`create trigger messages_fts_update after update of content on messages begin
      insert into messages_fts (messages_fts, rowid, content) values ('delete', old.rowid, old.content);
      insert into messages_fts (rowid, content) values (new.rowid, new.content);
    end`.execute(db);
}
