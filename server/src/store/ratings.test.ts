import { PostgresAdapter, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore } from '../testing/databases.js';
import { StatementCounter } from '../testing/statement-counter.js';
import { feedbackSince } from './ratings.js';

for (const dialect of DIALECTS) {
  describe(`ratings on ${dialect}`, () => {
    it('the feedback query reads `messages_by_rating`, which holds rated messages only', async () => {
      const counter = new StatementCounter();
      await using store = await openTestStore(dialect, { wrapDriver: counter.wrap });
      counter.take();
      await feedbackSince(store.db, new Date(0), 10);
      const [query] = counter.take().queries;
      const postgres = store.db.getExecutor().adapter instanceof PostgresAdapter;
      const plan = postgres
        ? await store.db.transaction().execute(async (trx) => {
            // Empty tables: a sequential scan is cheaper; whether the index can serve the query is the question.
            await sql`set local enable_seqscan = off`.execute(trx);
            return JSON.stringify((await trx.executeQuery({ ...query!, sql: `explain ${query!.sql}` })).rows);
          })
        : JSON.stringify((await store.db.executeQuery({ ...query!, sql: `explain query plan ${query!.sql}` })).rows);
      expect(plan).toContain('messages_by_rating');
      const definition = postgres
        ? (await sql<{ indexdef: string }>`select indexdef from pg_indexes where indexname = 'messages_by_rating'`.execute(store.db)).rows[0]!.indexdef
        : (await sql<{ sql: string }>`select sql from sqlite_master where name = 'messages_by_rating'`.execute(store.db)).rows[0]!.sql;
      expect(definition.toLowerCase()).toMatch(/where .*rated_at.* is not null/);
    });
  });
}
