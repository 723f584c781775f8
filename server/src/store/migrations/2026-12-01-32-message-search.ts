import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Full-text search over messages (`search.messages`, the `search_history` tool).
 *
 * SQLite: an FTS5 table over `messages.content` (external content: the text is stored once, in
 * `messages`), kept in sync by triggers on insert, delete and a change of content, and filled from
 * the existing messages by FTS5's `rebuild`. Words are unicode61 tokens, case-folded; accents are
 * kept, as PostgreSQL's `simple` configuration keeps them (its `unaccent` is an extension a server
 * may not have), so both databases find the same messages.
 *
 * PostgreSQL: a GIN index on `to_tsvector('simple', content)`, an expression index, so nothing is
 * stored beside the text, every write keeps it current and existing rows are indexed as it is
 * built. The `simple` configuration (lower-cased words, no stemming, no stop words) matches what
 * SQLite does and favours no language.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`create index messages_search on messages using gin (to_tsvector('simple', content))`.execute(db);
    return;
  }
  await sql`create virtual table messages_fts using fts5(content, content = 'messages', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0')`.execute(db);
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
  await sql`insert into messages_fts (messages_fts) values ('rebuild')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`drop index messages_search`.execute(db);
    return;
  }
  for (const trigger of ['messages_fts_insert', 'messages_fts_delete', 'messages_fts_update']) await sql.raw(`drop trigger ${trigger}`).execute(db);
  await sql`drop table messages_fts`.execute(db);
}
