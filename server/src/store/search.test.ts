import { newMessage, openTestStore } from '../testing/databases.js';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { insertMessages } from './messages.js';
import { indexPendingMessages, searchMessages } from './search.js';
import { createSession } from './sessions.js';
import { createUser } from './users.js';

// SQLite's full-text index is filled in batches (migration 2026-12-01-70): a stored message waits
// in `messages_fts_pending` until `indexPendingMessages`, which every search calls first.
describe('the full-text index on sqlite, filled in batches', () => {
  async function seed() {
    const store = await openTestStore('sqlite');
    const user = await createUser(store.db, 'alice');
    const session = await createSession(store.db, { userId: user.id, agent: 'chat' });
    const add = async (content: string) => {
      const message = { ...newMessage({ sessionId: session.id, runId: null, role: 'user', content, parts: [], agent: null, model: null, usage: null, status: 'complete', createdAt: new Date() }), sessionId: session.id };
      await insertMessages(store.db, user.id, [message]);
      return message.id;
    };
    const search = async (query: string) => (await searchMessages(store.db, user.id, query, { limit: 50 })).hits.map((hit) => hit.content).sort();
    const pending = async () => Number((await sql<{ n: number }>`select count(*) as n from messages_fts_pending`.execute(store.db)).rows[0]!.n);
    const intact = () => sql`insert into messages_fts (messages_fts) values ('integrity-check')`.execute(store.db);
    return { store, add, search, pending, intact };
  }

  it('a message waits to be indexed, a search indexes what waits first, and the index stays whole through deletes and edits on either side', async () => {
    const { store, add, search, pending, intact } = await seed();
    await using _store = store;
    await add('the harbour at dawn');
    const edited = await add('a draft about lighthouses');
    const removed = await add('a note about harbours and lighthouses');
    expect(await pending()).toBe(3);
    // Changed and deleted while waiting: nothing of them was in the index to take out.
    await sql`update messages set content = ${'a final text about lighthouses'} where id = ${edited}`.execute(store.db);
    await sql`delete from messages where id = ${removed}`.execute(store.db);
    expect(await pending()).toBe(2);
    expect(await search('lighthouses harbour')).toEqual(['a final text about lighthouses', 'the harbour at dawn']);
    expect(await pending()).toBe(0);
    await intact();

    // Indexed already: an edit takes the old words out and the new ones in (at the next batch), a delete takes them out.
    await sql`update messages set content = ${'a text about the sea'} where id = ${edited}`.execute(store.db);
    expect(await pending()).toBe(1);
    expect(await search('lighthouses')).toEqual([]);
    expect(await search('sea')).toEqual(['a text about the sea']);
    await sql`delete from messages where content = ${'the harbour at dawn'}`.execute(store.db);
    expect(await search('harbour')).toEqual([]);
    await intact();
  });

  it('indexes a backlog larger than one batch', async () => {
    const { store, add, pending, intact } = await seed();
    await using _store = store;
    for (let index = 0; index < 2100; index++) await add(`message number ${index}`);
    expect(await indexPendingMessages(store.db)).toBe(2100);
    expect(await pending()).toBe(0);
    expect(await indexPendingMessages(store.db)).toBe(0);
    await intact();
  });
});
