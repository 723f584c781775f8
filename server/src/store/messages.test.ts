import type { Message } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { newId } from '../ids.js';
import { DIALECTS, newMessage, openTestStore } from '../testing/databases.js';
import { StatementCounter } from '../testing/statement-counter.js';
import { encodeCursor } from './cursor.js';
import { allMessages, historyPage, insertMessages, listMessages } from './messages.js';
import { createSession } from './sessions.js';
import { createUser } from './users.js';


/** A user with two sessions. */
async function seed(store: Awaited<ReturnType<typeof openTestStore>>) {
  const user = await createUser(store.db, 'alice');
  const session = await createSession(store.db, { userId: user.id, agent: 'chat' });
  const other = await createSession(store.db, { userId: user.id, agent: 'chat' });
  return { userId: user.id, sessionId: session.id, otherId: other.id };
}

function userMessage(sessionId: string, content: string, createdAt = new Date(1_700_000_000_000)) {
  const message = newMessage({ sessionId, runId: null, role: 'user', content, parts: [], agent: null, model: null, usage: null, status: 'complete', createdAt });
  return { ...message, sessionId };
}

for (const dialect of DIALECTS) {
  describe(`messages store on ${dialect}`, () => {
    it('stores every field and reads it back unchanged', async () => {
      await using store = await openTestStore(dialect);
      const { userId, sessionId } = await seed(store);
      const runId = newId();
      const user = userMessage(sessionId, 'what is 2 + 2? ✓ "quoted" \\ back\nslash', new Date(1_700_000_000_123));
      const assistant: Message & { sessionId: string } = {
        ...newMessage({
          sessionId,
          runId,
          role: 'assistant',
          content: 'It is 4.',
          parts: [
            { type: 'reasoning', text: 'add them' },
            { type: 'tool-call', callId: 'call_1', name: 'add', input: { a: 2, b: 2, nested: [null, 'ü'] } },
            { type: 'tool-result', callId: 'call_1', name: 'add', output: 4, isError: false },
            { type: 'text', text: 'It is 4.' },
          ],
          agent: 'chat',
          model: 'local/echo',
          usage: { inputTokens: 12, outputTokens: 3, reasoningTokens: 2, cachedInputTokens: 5 },
          status: 'cancelled',
          createdAt: new Date(1_700_000_000_456),
        }),
        sessionId,
      };
      await insertMessages(store.db, userId, [user, assistant]);

      // Appended in order: the first follows the (empty) session's leaf, the next the one before it.
      expect(await allMessages(store.db, sessionId)).toEqual([{ ...user, parentId: null }, { ...assistant, parentId: user.id }]);
      // As stored: times as epoch ms, JSON columns as text, the owner on every row.
      const rows = await store.db.selectFrom('messages').selectAll().orderBy('id').execute();
      expect(rows[1]).toMatchObject({ id: assistant.id, created_at: 1_700_000_000_456, parts: JSON.stringify(assistant.parts), usage: JSON.stringify(assistant.usage), status: 'cancelled' });
      expect(typeof rows[1]!.created_at).toBe('number');
      expect(rows.map((row) => row.user_id)).toEqual([userId, userId]);
    });

    it('inserts nothing for an empty list', async () => {
      await using store = await openTestStore(dialect);
      const { sessionId } = await seed(store);
      await insertMessages(store.db, 'nobody', []);
      expect(await allMessages(store.db, sessionId)).toEqual([]);
    });

    it('refuses a message of a session that does not exist', async () => {
      await using store = await openTestStore(dialect);
      const { userId } = await seed(store);
      await expect(insertMessages(store.db, userId, [userMessage(newId(), 'orphan')])).rejects.toThrow();
    });

    it('pages oldest first without skipping or repeating, for every page size, even with equal times', async () => {
      await using store = await openTestStore(dialect);
      const { userId, sessionId, otherId } = await seed(store);
      const expected: string[] = [];
      for (let index = 0; index < 11; index++) {
        // Same timestamp for all: order comes from the time-ordered id alone.
        const message = userMessage(sessionId, `m${index}`);
        expected.push(message.id);
        await insertMessages(store.db, userId, [message, userMessage(otherId, `other ${index}`)]);
      }
      for (let limit = 1; limit <= 12; limit++) {
        const ids: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await listMessages(store.db, sessionId, { limit, ...(cursor ? { cursor } : {}) });
          pages++;
          expect(page.messages.length).toBeLessThanOrEqual(limit);
          if (page.nextCursor) expect(page.messages).toHaveLength(limit);
          ids.push(...page.messages.map((row) => row.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor && pages < 50);
        expect(ids, `limit ${limit}`).toEqual(expected);
        expect(pages).toBe(Math.ceil(11 / limit));
      }
      expect((await allMessages(store.db, sessionId)).map((row) => row.id)).toEqual(expected);
    });

    it('continues after messages added since the last page was read', async () => {
      await using store = await openTestStore(dialect);
      const { userId, sessionId } = await seed(store);
      await insertMessages(store.db, userId, [userMessage(sessionId, 'a'), userMessage(sessionId, 'b')]);
      const first = await listMessages(store.db, sessionId, { limit: 1 });
      expect(first.messages.map((row) => row.content)).toEqual(['a']);
      await insertMessages(store.db, userId, [userMessage(sessionId, 'c')]);
      const second = await listMessages(store.db, sessionId, { limit: 5, cursor: first.nextCursor! });
      expect(second.messages.map((row) => row.content)).toEqual(['b', 'c']);
      expect(second.nextCursor).toBeNull();
    });

    it("serves a history page of the user's own session in one statement, and nothing of another's", async () => {
      const counter = new StatementCounter();
      await using store = await openTestStore(dialect, { wrapDriver: counter.wrap });
      const { userId, sessionId, otherId } = await seed(store);
      const bob = await createUser(store.db, 'bob');
      await insertMessages(store.db, userId, [userMessage(sessionId, 'a'), userMessage(sessionId, 'b'), userMessage(sessionId, 'c')]);

      counter.take();
      const first = await historyPage(store.db, userId, sessionId, { limit: 2 });
      expect(first?.messages.map((message) => message.content)).toEqual(['a', 'b']);
      expect(counter.take().statements).toHaveLength(1);
      expect((await historyPage(store.db, userId, sessionId, { limit: 2, cursor: first!.nextCursor! }))?.messages.map((message) => message.content)).toEqual(['c']);

      // An empty page takes a second statement, to tell an empty session from one that is not theirs.
      counter.take();
      expect(await historyPage(store.db, userId, otherId, { limit: 2 })).toEqual({ messages: [], nextCursor: null });
      expect(counter.take().statements).toHaveLength(2);
      expect(await historyPage(store.db, bob.id, sessionId, { limit: 2 })).toBeUndefined();
      expect(await historyPage(store.db, bob.id, sessionId, { limit: 2, cursor: first!.nextCursor! })).toBeUndefined();
      expect(await historyPage(store.db, userId, newId(), { limit: 2 })).toBeUndefined();

      // A malformed cursor: NOT_FOUND (undefined) first for a session that is not theirs, else a bad request.
      expect(await historyPage(store.db, bob.id, sessionId, { limit: 2, cursor: '%%%' })).toBeUndefined();
      const error = await historyPage(store.db, userId, sessionId, { limit: 2, cursor: '%%%' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DomainError);
    });

    it('rejects tampered cursors as bad requests, not database errors', async () => {
      await using store = await openTestStore(dialect);
      const { sessionId } = await seed(store);
      const cursors = ['%%%', encodeCursor([1]), encodeCursor(['a', 'b']), encodeCursor(['a\u0000']), Buffer.from('{"id":"x"}').toString('base64url')];
      for (const cursor of cursors) {
        const error = await listMessages(store.db, sessionId, { limit: 5, cursor }).catch((caught: unknown) => caught);
        expect(error, cursor).toBeInstanceOf(DomainError);
        expect((error as DomainError).kind).toBe('invalid');
      }
    });
  });
}

describe('newMessage', () => {
  it('gives each message a fresh id that sorts after the previous one', () => {
    const ids = Array.from({ length: 100 }, () => userMessage(newId(), 'x').id);
    expect(new Set(ids).size).toBe(100);
    expect([...ids].sort()).toEqual(ids);
  });
});
