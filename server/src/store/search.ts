import { PostgresAdapter, sql, type Kysely, type RawBuilder } from 'kysely';
import type { Role } from '@threadline/shared';
import { invalid } from '../errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { Database } from './database.js';

/** A message found by `searchMessages`. */
export interface MessageHit {
  messageId: string;
  sessionId: string;
  sessionTitle: string | null;
  role: Role;
  /** The whole text. */
  content: string;
  /** A piece around the matches, matched words marked «so». */
  snippet: string;
  createdAt: Date;
}

export interface SearchOptions {
  /** Only this session's messages. */
  sessionId?: string;
  /** Leaves out the messages of this run (the one asking). */
  exceptRunId?: string;
  cursor?: string;
  limit: number;
}

/** The most words of a query searched for; the rest are ignored. */
const MAX_TERMS = 16;

/**
 * The query's words, as the user typed them (split on white space): each is searched as a whole
 * word (or, with punctuation inside, as the words it holds, in a row). Pieces without a letter or
 * digit match nothing and are dropped.
 */
export function searchTerms(query: string): string[] {
  return [...new Set(query.split(/\s+/).filter((term) => /[\p{L}\p{N}]/u.test(term)))].slice(0, MAX_TERMS);
}

/**
 * The FTS5 expression for `terms`: each a quoted string (its quotes doubled), so no character of
 * the user's is FTS5 syntax, joined by OR. The ranking puts messages with more of them first.
 */
export function fts5Expression(terms: string[]): string {
  return terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(' OR ');
}

/** The tsquery for `terms`: each through plainto_tsquery (which takes any text), joined by `||` (or). */
function tsQuery(terms: string[]): RawBuilder<unknown> {
  return sql`(${sql.join(terms.map((term) => sql`plainto_tsquery('simple', ${term})`), sql` || `)})`;
}

/** Most pending messages added to SQLite's full-text index in one transaction. */
const INDEX_BATCH = 2000;

/**
 * SQLite: adds the messages stored since the last call to the full-text index (see the migration
 * `2026-12-01-70-message-search-batches`), in transactions of up to 2,000; resolves to how many.
 * Every search calls it first, so a search sees every message; the server also calls it about
 * every second, so the backlog stays small. PostgreSQL keeps its index by itself: nothing to do.
 */
export async function indexPendingMessages(db: Kysely<Database>): Promise<number> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return 0;
  let indexed = 0;
  for (;;) {
    const done = await db.transaction().execute(async (trx) => {
      const batch = sql`select message_rowid from messages_fts_pending order by message_rowid limit ${INDEX_BATCH}`;
      await sql`insert into messages_fts (rowid, content) select m.rowid, m.content from messages m where m.rowid in (${batch})`.execute(trx);
      const removed = await sql`delete from messages_fts_pending where message_rowid in (${batch})`.execute(trx);
      return Number(removed.numAffectedRows ?? 0);
    });
    indexed += done;
    if (done < INDEX_BATCH) return indexed;
  }
}

/** Calls `indexPendingMessages` every `intervalMs` (SQLite only) until stopped; a failure is logged, the next tick tries again. */
export function startSearchIndexing(db: Kysely<Database>, intervalMs: number, onError: (error: unknown) => void): { stop(): Promise<void> } {
  if (db.getExecutor().adapter instanceof PostgresAdapter) return { stop: async () => {} };
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => indexPendingMessages(db)).catch(onError);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Full-text search over the user's own messages (never another user's), best first; then newest.
 * Resolves to a page and the cursor of the next (an offset: results are ranked, not keyed).
 */
export async function searchMessages(db: Kysely<Database>, userId: string, query: string, options: SearchOptions): Promise<{ hits: MessageHit[]; nextCursor: string | null }> {
  const terms = searchTerms(query);
  const [offset] = options.cursor ? decodeCursor(options.cursor, ['number']) : [0];
  // A cursor is a position in the ranking; one made up to point before it is a bad request, not a database error.
  if (offset < 0) throw invalid('invalid cursor');
  if (terms.length === 0) return { hits: [], nextCursor: null };
  const session = options.sessionId ? sql`and m.session_id = ${options.sessionId}` : sql``;
  const exceptRun = options.exceptRunId ? sql`and (m.run_id is null or m.run_id <> ${options.exceptRunId})` : sql``;
  const page = sql`limit ${options.limit + 1} offset ${offset}`;
  type Row = { id: string; session_id: string; title: string | null; role: string; content: string; created_at: number | string; snippet: string };
  let rows: Row[];
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    const tsquery = tsQuery(terms);
    const result = await sql<Row>`select hit.*, ts_headline('simple', hit.content, ${tsquery}, 'StartSel=«, StopSel=», MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "') as snippet
      from (
        select m.id, m.session_id, s.title, m.role, m.content, m.created_at, ts_rank_cd(to_tsvector('simple', m.content), ${tsquery}) as rank
        from messages m inner join sessions s on s.id = m.session_id
        where to_tsvector('simple', m.content) @@ ${tsquery} and m.user_id = ${userId} and s.user_id = ${userId} ${session} ${exceptRun}
        order by rank desc, m.id desc ${page}
      ) hit
      order by hit.rank desc, hit.id desc`.execute(db);
    rows = result.rows;
  } else {
    await indexPendingMessages(db);
    const result = await sql<Row>`select m.id, m.session_id, s.title, m.role, m.content, m.created_at, snippet(messages_fts, 0, '«', '»', '…', 16) as snippet
      from messages_fts inner join messages m on m.rowid = messages_fts.rowid inner join sessions s on s.id = m.session_id
      where messages_fts match ${fts5Expression(terms)} and m.user_id = ${userId} and s.user_id = ${userId} ${session} ${exceptRun}
      order by bm25(messages_fts), m.id desc ${page}`.execute(db);
    rows = result.rows;
  }
  const hits = rows.slice(0, options.limit).map((row) => ({
    messageId: row.id,
    sessionId: row.session_id,
    sessionTitle: row.title,
    role: row.role as Role,
    content: row.content,
    snippet: row.snippet,
    createdAt: new Date(Number(row.created_at)),
  }));
  return { hits, nextCursor: rows.length > options.limit ? encodeCursor([offset + options.limit]) : null };
}
