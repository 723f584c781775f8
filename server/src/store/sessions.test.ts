import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { newId } from '../ids.js';
import { DIALECTS, newMessage, openTestStore } from '../testing/databases.js';
import { encodeCursor } from './cursor.js';
import type { Database } from './database.js';
import { insertMessages } from './messages.js';
import { insertRun } from './runs.js';
import {
  clearSession,
  createSession,
  deleteSession,
  findSession,
  listSessions,
  recordMessages,
  updateSession,
  type ListSessionsOptions,
} from './sessions.js';
import { createUser } from './users.js';


/** Follows nextCursor to the end; checks every page's size on the way. */
async function listAll(db: Kysely<Database>, userId: string, options: Omit<ListSessionsOptions, 'cursor'>) {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listSessions(db, userId, { ...options, ...(cursor ? { cursor } : {}) });
    pages++;
    expect(page.items.length).toBeLessThanOrEqual(options.limit);
    if (page.nextCursor) expect(page.items).toHaveLength(options.limit);
    ids.push(...page.items.map((row) => row.id));
    cursor = page.nextCursor ?? undefined;
    expect(pages).toBeLessThan(100);
  } while (cursor);
  return { ids, pages };
}

const titles = (rows: { title: string | null }[]) => rows.map((row) => row.title);

async function addMessage(db: Kysely<Database>, userId: string, sessionId: string, at: number) {
  const message = newMessage({ sessionId, runId: null, role: 'user', content: 'hi', parts: [], agent: null, model: null, usage: null, status: 'complete', createdAt: new Date(at) });
  await insertMessages(db, userId, [{ ...message, sessionId }]);
  await recordMessages(db, sessionId, 1, at);
}

for (const dialect of DIALECTS) {
  describe(`sessions store on ${dialect}`, () => {
    it('creates a session with defaults, visible to its owner only', async () => {
      await using store = await openTestStore(dialect);
      const [alice, bob] = [await createUser(store.db, 'alice'), await createUser(store.db, 'bob')];
      const created = await createSession(store.db, { userId: alice.id, agent: 'chat', metadata: { tags: ['a'], n: 1 } }, 1_700_000_000_123);
      const found = await findSession(store.db, alice.id, created.id);
      expect(found).toEqual(created);
      expect(found).toEqual({
        id: created.id, title: null, agent: 'chat', model: null, metadata: { tags: ['a'], n: 1 }, archived: false, busyPolicy: 'enqueue', allowedTools: [],
        createdAt: new Date(1_700_000_000_123), updatedAt: new Date(1_700_000_000_123), lastMessageAt: null, messageCount: 0,
      });
      expect(await findSession(store.db, bob.id, created.id)).toBeUndefined();
      expect(await listSessions(store.db, bob.id, { limit: 10, archived: false })).toEqual({ items: [], nextCursor: null });
    });

    it('pages newest activity first without skipping or repeating, across ties, for every page size', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const other = await createUser(store.db, 'bob');
      const activity = new Map<string, number>();
      for (let index = 0; index < 12; index++) {
        const at = 1_000 + Math.floor(index / 3); // four groups of three equal creation times
        activity.set((await createSession(store.db, { userId: user.id, agent: 'chat' }, at)).id, at);
        await createSession(store.db, { userId: other.id, agent: 'chat' }, at);
      }
      // Two sessions get a message at a time another group was created at: ties across both kinds.
      const [first, second] = [...activity.keys()];
      for (const id of [first!, second!]) {
        await addMessage(store.db, user.id, id, 1_002);
        activity.set(id, 1_002);
      }
      const archived = await createSession(store.db, { userId: user.id, agent: 'chat' }, 1_001);
      await updateSession(store.db, user.id, archived.id, { archived: true });

      const expected = [...activity].sort(([a, x], [b, y]) => y - x || (a < b ? 1 : -1)).map(([id]) => id);
      for (let limit = 1; limit <= 13; limit++) {
        const { ids, pages } = await listAll(store.db, user.id, { limit, archived: false });
        expect(ids, `limit ${limit}`).toEqual(expected);
        expect(pages).toBe(Math.ceil(12 / limit));
      }
    });

    it('keeps a cursor stable when a session becomes newer between pages', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      for (let index = 0; index < 4; index++) await createSession(store.db, { userId: user.id, agent: 'chat', title: `s${index}` }, 1_000 + index);
      const page1 = await listSessions(store.db, user.id, { limit: 2, archived: false });
      expect(titles(page1.items)).toEqual(['s3', 's2']);
      await createSession(store.db, { userId: user.id, agent: 'chat', title: 'new' }, 5_000);
      const page2 = await listSessions(store.db, user.id, { limit: 2, archived: false, cursor: page1.nextCursor! });
      expect(titles(page2.items)).toEqual(['s1', 's0']);
      expect(page2.nextCursor).toBeNull();
    });

    it('filters archived sessions both ways', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const ids = [];
      for (let index = 0; index < 5; index++) ids.push((await createSession(store.db, { userId: user.id, agent: 'chat', title: `s${index}` }, 1_000 + index)).id);
      for (const id of [ids[0]!, ids[2]!, ids[4]!]) await updateSession(store.db, user.id, id, { archived: true });
      expect(titles((await listSessions(store.db, user.id, { limit: 10, archived: false })).items)).toEqual(['s3', 's1']);
      expect((await listAll(store.db, user.id, { limit: 1, archived: true })).ids).toEqual([ids[4], ids[2], ids[0]]);
      await updateSession(store.db, user.id, ids[2]!, { archived: false });
      expect(titles((await listSessions(store.db, user.id, { limit: 10, archived: false })).items)).toEqual(['s3', 's2', 's1']);
    });

    it('matches a case-insensitive title substring, with %, _ and \\ taken literally', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const names = ['Weekly REPORT', 'report draft', '100% done', '100 percent done', 'snake_case', 'snakeXcase', 'a\\b', 'ab', 'Écrire', null];
      for (const [index, title] of names.entries()) await createSession(store.db, { userId: user.id, agent: 'chat', title }, 1_000 + index);
      const search = async (query: string) => titles((await listSessions(store.db, user.id, { limit: 50, archived: false, query })).items);
      expect(await search('Report')).toEqual(['report draft', 'Weekly REPORT']);
      expect(await search('%')).toEqual(['100% done']);
      expect(await search('0%')).toEqual(['100% done']);
      expect(await search('e_c')).toEqual(['snake_case']);
      expect(await search('_')).toEqual(['snake_case']);
      expect(await search('\\')).toEqual(['a\\b']);
      expect(await search('écrire')).toEqual(['Écrire']);
      expect(await search('nothing like it')).toEqual([]);
      // The query combines with paging.
      const { ids } = await listAll(store.db, user.id, { limit: 1, archived: false, query: 'E' });
      expect(ids).toHaveLength(7);
    });

    it('rejects tampered cursors as bad requests, not database errors', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const cursors = ['not a cursor', encodeCursor(['x']), encodeCursor(['1', 'x']), encodeCursor([1.5, 'x']), encodeCursor([1e300, 'x']), encodeCursor([1, 'a\u0000b'])];
      for (const cursor of cursors) {
        const error = await listSessions(store.db, user.id, { limit: 5, archived: false, cursor }).catch((caught: unknown) => caught);
        expect(error, cursor).toBeInstanceOf(DomainError);
        expect((error as DomainError).kind).toBe('invalid');
      }
    });

    it('updates only the given fields of the owner’s session', async () => {
      await using store = await openTestStore(dialect);
      const [alice, bob] = [await createUser(store.db, 'alice'), await createUser(store.db, 'bob')];
      const created = await createSession(store.db, { userId: alice.id, agent: 'chat', title: 'old', model: 'local/echo', metadata: { a: 1 } }, 1_000);
      const updated = await updateSession(store.db, alice.id, created.id, { title: 'new', metadata: { b: 2 } }, 2_000);
      expect(updated).toEqual({ ...created, title: 'new', metadata: { b: 2 }, updatedAt: new Date(2_000) });
      expect(await updateSession(store.db, bob.id, created.id, { title: 'stolen' }, 3_000)).toBeUndefined();
      expect(await findSession(store.db, alice.id, created.id)).toEqual(updated);
      const cleared = await updateSession(store.db, alice.id, created.id, { title: null, model: null }, 4_000);
      expect(cleared).toMatchObject({ title: null, model: null, metadata: { b: 2 }, lastMessageAt: null, createdAt: new Date(1_000) });
    });

    it('counts messages and moves activity to the last message', async () => {
      await using store = await openTestStore(dialect);
      const user = await createUser(store.db, 'alice');
      const older = await createSession(store.db, { userId: user.id, agent: 'chat', title: 'older' }, 1_000);
      await createSession(store.db, { userId: user.id, agent: 'chat', title: 'newer' }, 2_000);
      expect(await recordMessages(store.db, older.id, 2, 3_000, { agent: 'other' })).toEqual({ allowedTools: [] });
      await updateSession(store.db, user.id, older.id, { allowedTools: ['calculator'] }, 3_500);
      // The same statement reads what a beginning run needs of the session; nothing for a session that is gone.
      expect(await recordMessages(store.db, older.id, 1, 4_000)).toEqual({ allowedTools: ['calculator'] });
      expect(await recordMessages(store.db, 'no-such-session', 1, 4_000)).toBeUndefined();
      expect(await findSession(store.db, user.id, older.id)).toMatchObject({ messageCount: 3, lastMessageAt: new Date(4_000), updatedAt: new Date(4_000), agent: 'other', createdAt: new Date(1_000) });
      expect(titles((await listSessions(store.db, user.id, { limit: 10, archived: false })).items)).toEqual(['older', 'newer']);
    });

    it('clears only the owner’s session’s messages and resets its counters and activity', async () => {
      await using store = await openTestStore(dialect);
      const [alice, bob] = [await createUser(store.db, 'alice'), await createUser(store.db, 'bob')];
      const session = await createSession(store.db, { userId: alice.id, agent: 'chat', title: 'cleared' }, 1_000);
      const kept = await createSession(store.db, { userId: alice.id, agent: 'chat', title: 'kept' }, 2_000);
      for (const at of [3_000, 3_001]) await addMessage(store.db, alice.id, session.id, at);
      await addMessage(store.db, alice.id, kept.id, 2_500);
      expect(await clearSession(store.db, bob.id, session.id, 4_000)).toBeUndefined();
      expect(await countMessages(store.db, session.id)).toBe(2);

      const cleared = await clearSession(store.db, alice.id, session.id, 5_000);
      expect(cleared).toMatchObject({ messageCount: 0, lastMessageAt: null, updatedAt: new Date(5_000), title: 'cleared' });
      expect(await countMessages(store.db, session.id)).toBe(0);
      expect(await countMessages(store.db, kept.id)).toBe(1);
      expect(titles((await listSessions(store.db, alice.id, { limit: 10, archived: false })).items)).toEqual(['kept', 'cleared']);
    });

    it('deletes the owner’s session with its messages and runs, and nothing else', async () => {
      await using store = await openTestStore(dialect);
      const [alice, bob] = [await createUser(store.db, 'alice'), await createUser(store.db, 'bob')];
      const doomed = await createSession(store.db, { userId: alice.id, agent: 'chat' }, 1_000);
      const kept = await createSession(store.db, { userId: alice.id, agent: 'chat' }, 1_000);
      for (const session of [doomed, kept]) {
        await addMessage(store.db, alice.id, session.id, 2_000);
        await insertRun(store.db, { id: newId(), userId: alice.id, sessionId: session.id, requestId: null, agent: 'chat', model: 'local/echo', content: 'hi', priority: 5, owner: 'test', queuedAt: 2_000 });
      }
      expect(await deleteSession(store.db, bob.id, doomed.id)).toBe(false);
      expect(await findSession(store.db, alice.id, doomed.id)).toBeDefined();

      expect(await deleteSession(store.db, alice.id, doomed.id)).toBe(true);
      expect(await findSession(store.db, alice.id, doomed.id)).toBeUndefined();
      expect(await countMessages(store.db, doomed.id)).toBe(0);
      expect(await store.db.selectFrom('runs').select('session_id').execute()).toEqual([{ session_id: kept.id }]);
      expect(await countMessages(store.db, kept.id)).toBe(1);
      expect(await deleteSession(store.db, alice.id, doomed.id)).toBe(false);
    });
  });
}

async function countMessages(db: Kysely<Database>, sessionId: string): Promise<number> {
  const rows = await db.selectFrom('messages').select('id').where('session_id', '=', sessionId).execute();
  return rows.length;
}
