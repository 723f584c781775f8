import { describe, expect, it } from 'vitest';
import type { ThreadlineClient } from '../client/src/client.js';
import { encodeCursor } from '../server/src/store/cursor.js';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startTestServer } from './helpers/server.js';

/** The tRPC error code a call fails with, or `resolved`. */
async function codeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'resolved';
  } catch (error) {
    return (error as { data?: { code?: string } }).data?.code ?? `not a tRPC error: ${String(error)}`;
  }
}

/** Every session of a list, following nextCursor page by page. */
async function listAll(client: ThreadlineClient, input: { limit: number; archived?: boolean; query?: string }) {
  const titles: (string | null)[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const page = await client.sessions.list.query({ ...input, ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(input.limit);
    titles.push(...page.items.map((session) => session.title));
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return titles;
}

const titlesOf = async (client: ThreadlineClient, input: { archived?: boolean; query?: string } = {}) =>
  (await client.sessions.list.query(input)).items.map((session) => session.title);

for (const dialect of DIALECTS) {
  describe(`sessions over HTTP on ${dialect}`, () => {
    it('creates sessions with defaults or given fields, and reads them back', async () => {
      await using t = await startTestServer({ dialect });
      const before = Date.now();
      const plain = await t.client.sessions.create.mutate({});
      expect(plain).toMatchObject({ title: null, agent: 'chat', model: null, metadata: {}, archived: false, lastMessageAt: null, messageCount: 0 });
      expect(plain.createdAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(plain.createdAt.getTime()).toBeLessThanOrEqual(Date.now());
      expect(plain.updatedAt).toEqual(plain.createdAt);

      const input = { title: '  Trip plans ', agent: 'chat', model: 'local/echo', metadata: { tags: ['a', 'b'], pinned: true, nested: { n: null } } };
      const full = await t.client.sessions.create.mutate(input);
      expect(full).toMatchObject({ ...input, title: 'Trip plans' });
      expect(await t.client.sessions.get.query({ sessionId: full.id })).toEqual(full);
      expect(await t.client.sessions.get.query({ sessionId: plain.id })).toEqual(plain);

      expect(await codeOf(t.client.sessions.create.mutate({ agent: 'nobody' }))).toBe('BAD_REQUEST');
      expect(await codeOf(t.client.sessions.create.mutate({ model: 'nowhere/model' }))).toBe('BAD_REQUEST');
      expect(await codeOf(t.client.sessions.create.mutate({ title: '   ' }))).toBe('BAD_REQUEST');
      expect(await titlesOf(t.client)).toEqual(['Trip plans', null]);
      expect(await codeOf(t.client.sessions.get.query({ sessionId: '01890000-0000-7000-8000-000000000000' }))).toBe('NOT_FOUND');
    });

    it('lists newest activity first, in pages, and a new message moves a session to the top', async () => {
      await using t = await startTestServer({ dialect });
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) ids.push((await t.client.sessions.create.mutate({ title: `s${index}` })).id);
      expect(await listAll(t.client, { limit: 2 })).toEqual(['s4', 's3', 's2', 's1', 's0']);

      await t.client.chat.send.mutate({ sessionId: ids[1]!, content: 'bump' });
      for (const limit of [1, 2, 3, 5, 6]) expect(await listAll(t.client, { limit })).toEqual(['s1', 's4', 's3', 's2', 's0']);
      const last = await t.client.sessions.list.query({ limit: 5 });
      expect(last.nextCursor).toBeNull();

      const bob = await t.addUser('bob');
      expect(await titlesOf(bob.client)).toEqual([]);
      await bob.client.sessions.create.mutate({ title: 'bob’s' });
      expect(await listAll(t.client, { limit: 50 })).toHaveLength(5);
    });

    it('archives and unarchives, and lists each side', async () => {
      await using t = await startTestServer({ dialect });
      const first = await t.client.sessions.create.mutate({ title: 'first' });
      await t.client.sessions.create.mutate({ title: 'second' });
      const archived = await t.client.sessions.archive.mutate({ sessionId: first.id });
      expect(archived.archived).toBe(true);
      expect(archived.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());
      expect(await t.client.sessions.get.query({ sessionId: first.id })).toEqual(archived);
      expect(await titlesOf(t.client)).toEqual(['second']);
      expect(await titlesOf(t.client, { archived: true })).toEqual(['first']);
      expect(await titlesOf(t.client, { archived: false })).toEqual(['second']);

      expect((await t.client.sessions.unarchive.mutate({ sessionId: first.id })).archived).toBe(false);
      expect((await t.client.sessions.get.query({ sessionId: first.id })).archived).toBe(false);
      expect(await titlesOf(t.client)).toEqual(['second', 'first']);
      expect(await titlesOf(t.client, { archived: true })).toEqual([]);
    });

    it('searches titles case-insensitively, with % and _ taken literally', async () => {
      await using t = await startTestServer({ dialect });
      for (const title of ['Budget 100%', 'Budget 1000', 'my_notes', 'my notes', 'MY-NOTES']) await t.client.sessions.create.mutate({ title });
      await t.client.sessions.create.mutate({});
      expect(await titlesOf(t.client, { query: 'budget' })).toEqual(['Budget 1000', 'Budget 100%']);
      expect(await titlesOf(t.client, { query: '0%' })).toEqual(['Budget 100%']);
      expect(await titlesOf(t.client, { query: 'y_n' })).toEqual(['my_notes']);
      expect(await titlesOf(t.client, { query: 'NOTES' })).toEqual(['MY-NOTES', 'my notes', 'my_notes']);
      expect(await listAll(t.client, { limit: 1, query: 'notes' })).toEqual(['MY-NOTES', 'my notes', 'my_notes']);
      expect(await titlesOf(t.client, { query: 'notes', archived: true })).toEqual([]);
    });

    it('returns chat messages oldest first with all their fields, in pages', async () => {
      await using t = await startTestServer({ dialect });
      const before = Date.now();
      const first = await t.client.chat.send.mutate({ newSession: { title: 'talk', metadata: { a: 1 } }, content: 'hello world' });
      const sessionId = first.sessionId!;
      const second = await t.client.chat.send.mutate({ sessionId, content: '/long 5' });
      const third = await t.client.chat.send.mutate({ sessionId, content: 'third one' });
      const after = Date.now();

      const { messages, nextCursor } = await t.client.sessions.history.query({ sessionId });
      expect(nextCursor).toBeNull();
      expect(messages.map((message) => [message.role, message.content])).toEqual([
        ['user', 'hello world'],
        ['assistant', 'Echo: hello world'],
        ['user', '/long 5'],
        ['assistant', 'lorem ipsum dolor sit amet'],
        ['user', 'third one'],
        ['assistant', 'Echo: third one'],
      ]);
      const runs = [first, second, third];
      for (const [index, message] of messages.entries()) {
        const run = runs[Math.floor(index / 2)]!;
        expect(message.sessionId).toBe(sessionId);
        expect(message.runId).toBe(run.runId);
        expect(message.status).toBe('complete');
        expect(message.createdAt.getTime()).toBeGreaterThanOrEqual(index === 0 ? before : messages[index - 1]!.createdAt.getTime());
        expect(message.createdAt.getTime()).toBeLessThanOrEqual(after);
        if (message.role === 'user') expect(message).toMatchObject({ agent: null, model: null, usage: null, parts: [] });
        else expect(message).toEqual({ ...run.message, siblingCount: 1, siblingIndex: 1, previousSiblingId: null, nextSiblingId: null });
      }
      const assistants = messages.filter((message) => message.role === 'assistant');
      expect(assistants.map((message) => [message.agent, message.model, message.usage?.outputTokens])).toEqual([
        ['chat', 'local/echo', 3],
        ['chat', 'local/echo', 5],
        ['chat', 'local/echo', 3],
      ]);
      const inputs = assistants.map((message) => message.usage!.inputTokens);
      expect(inputs[0]).toBeGreaterThan(0);
      expect(inputs[1]).toBeGreaterThan(inputs[0]!);
      expect(inputs[2]).toBeGreaterThan(inputs[1]!);

      for (let limit = 1; limit <= 7; limit++) {
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await t.client.sessions.history.query({ sessionId, limit, ...(cursor ? { cursor } : {}) });
          expect(page.messages.length).toBeLessThanOrEqual(limit);
          ids.push(...page.messages.map((message) => message.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor && ids.length <= 6);
        expect(ids, `limit ${limit}`).toEqual(messages.map((message) => message.id));
      }

      const session = await t.client.sessions.get.query({ sessionId });
      expect(session).toMatchObject({ title: 'talk', metadata: { a: 1 }, messageCount: 6, lastMessageAt: messages[5]!.createdAt });
    });

    it('updates only the given fields and persists them', async () => {
      await using t = await startTestServer({ dialect });
      const created = await t.client.sessions.create.mutate({ title: 'old', metadata: { a: 1, b: 2 } });
      const updated = await t.client.sessions.update.mutate({ sessionId: created.id, title: ' new ', metadata: { c: 3 }, model: 'local/echo' });
      expect(updated).toEqual({ ...created, title: 'new', metadata: { c: 3 }, model: 'local/echo', updatedAt: updated.updatedAt });
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
      expect(await t.client.sessions.get.query({ sessionId: created.id })).toEqual(updated);

      const untitled = await t.client.sessions.update.mutate({ sessionId: created.id, title: null, model: null });
      expect(untitled).toMatchObject({ title: null, model: null, metadata: { c: 3 }, agent: 'chat' });
      expect(await t.client.sessions.get.query({ sessionId: created.id })).toEqual(untitled);
      const same = await t.client.sessions.update.mutate({ sessionId: created.id, agent: 'chat' });
      expect(same).toMatchObject({ title: null, metadata: { c: 3 } });

      expect(await codeOf(t.client.sessions.update.mutate({ sessionId: created.id, agent: 'nobody' }))).toBe('BAD_REQUEST');
      expect(await codeOf(t.client.sessions.update.mutate({ sessionId: created.id, model: 'nowhere/model' }))).toBe('BAD_REQUEST');
      expect((await t.client.sessions.get.query({ sessionId: created.id })).model).toBeNull();
    });

    it('clears a session’s messages, keeps the session, and sorts it by its creation again', async () => {
      await using t = await startTestServer({ dialect });
      const sent = await t.client.chat.send.mutate({ newSession: { title: 'cleared' }, content: 'one' });
      const sessionId = sent.sessionId!;
      await t.client.sessions.create.mutate({ title: 'later' });
      await t.client.chat.send.mutate({ sessionId, content: 'two' });
      expect(await titlesOf(t.client)).toEqual(['cleared', 'later']);

      const cleared = await t.client.sessions.clear.mutate({ sessionId });
      expect(cleared).toMatchObject({ title: 'cleared', messageCount: 0, lastMessageAt: null });
      expect(await t.client.sessions.get.query({ sessionId })).toEqual(cleared);
      expect((await t.client.sessions.history.query({ sessionId })).messages).toEqual([]);
      expect(await titlesOf(t.client)).toEqual(['later', 'cleared']);

      await t.client.chat.send.mutate({ sessionId, content: 'again' });
      const history = await t.client.sessions.history.query({ sessionId });
      expect(history.messages.map((message) => message.content)).toEqual(['again', 'Echo: again']);
      expect((await t.client.sessions.get.query({ sessionId })).messageCount).toBe(2);
    });

    it('deletes a session with its messages and runs', async () => {
      await using t = await startTestServer({ dialect });
      const sent = await t.client.chat.send.mutate({ newSession: true, content: 'doomed' });
      const sessionId = sent.sessionId!;
      const kept = await t.client.chat.send.mutate({ newSession: { title: 'kept' }, content: 'kept' });

      expect(await t.client.sessions.delete.mutate({ sessionId })).toEqual({ sessionId, deleted: true });
      expect(await codeOf(t.client.sessions.get.query({ sessionId }))).toBe('NOT_FOUND');
      expect(await codeOf(t.client.sessions.history.query({ sessionId }))).toBe('NOT_FOUND');
      expect(await codeOf(t.client.runs.get.query({ runId: sent.runId }))).toBe('NOT_FOUND');
      expect(await codeOf(t.client.sessions.delete.mutate({ sessionId }))).toBe('NOT_FOUND');
      expect(await titlesOf(t.client)).toEqual(['kept']);

      const { db } = t.server.services;
      expect(await db.selectFrom('messages').select('session_id').distinct().execute()).toEqual([{ session_id: kept.sessionId }]);
      expect(await db.selectFrom('runs').select('id').execute()).toEqual([{ id: kept.runId }]);
    });

    it('hides a session from other users', async () => {
      await using t = await startTestServer({ dialect });
      const sent = await t.client.chat.send.mutate({ newSession: { title: 'private' }, content: 'secret' });
      const sessionId = sent.sessionId!;
      const bob = (await t.addUser('bob')).client;
      const calls = [
        () => bob.sessions.get.query({ sessionId }),
        () => bob.sessions.history.query({ sessionId }),
        () => bob.sessions.update.mutate({ sessionId, title: 'mine' }),
        () => bob.sessions.clear.mutate({ sessionId }),
        () => bob.sessions.archive.mutate({ sessionId }),
        () => bob.sessions.unarchive.mutate({ sessionId }),
        () => bob.sessions.delete.mutate({ sessionId }),
        () => bob.chat.send.mutate({ sessionId, content: 'intrude' }),
      ];
      for (const call of calls) expect(await codeOf(call())).toBe('NOT_FOUND');
      expect(await t.client.sessions.get.query({ sessionId })).toMatchObject({ title: 'private', archived: false, messageCount: 2 });
      expect((await t.client.sessions.history.query({ sessionId })).messages).toHaveLength(2);
    });

    it('rejects invalid cursors with BAD_REQUEST', async () => {
      await using t = await startTestServer({ dialect });
      const { sessionId } = await t.client.chat.send.mutate({ newSession: true, content: 'hi' });
      await t.client.sessions.create.mutate({});
      const listCursor = (await t.client.sessions.list.query({ limit: 1 })).nextCursor!;
      const historyCursor = (await t.client.sessions.history.query({ sessionId: sessionId!, limit: 1 })).nextCursor!;
      const tampered = ['garbage', encodeCursor([]), encodeCursor([1.5, 'x']), encodeCursor([1e300, 'x']), encodeCursor([1, 'x\u0000'])];
      for (const cursor of [...tampered, historyCursor]) {
        expect(await codeOf(t.client.sessions.list.query({ cursor })), cursor).toBe('BAD_REQUEST');
      }
      for (const cursor of [...tampered, encodeCursor(['x\u0000']), listCursor]) {
        expect(await codeOf(t.client.sessions.history.query({ sessionId: sessionId!, cursor })), cursor).toBe('BAD_REQUEST');
      }
      expect(await codeOf(t.client.sessions.list.query({ cursor: '' }))).toBe('BAD_REQUEST');
    });
  });
}
