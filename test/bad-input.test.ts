import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits, type StreamEvent } from '@threadline/shared';
import type { ThreadlineClient } from '../client/src/client.js';
import { DIALECTS } from '../server/src/testing/databases.js';
import { errorOf } from './helpers/errors.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** A subscription as a promise: its events up to the terminal one, or its first error. */
function streamed(
  subscribe: (handlers: {
    onData(value: { data: StreamEvent }): void;
    onError(error: unknown): void;
    onComplete(): void;
  }) => { unsubscribe(): void },
): Promise<StreamEvent[]> {
  return new Promise((resolve, reject) => {
    const events: StreamEvent[] = [];
    const settle = (done: () => void) => {
      subscription.unsubscribe();
      done();
    };
    const subscription = subscribe({
      onData({ data }) {
        events.push(data);
        if (['run-finish', 'run-error', 'run-cancel'].includes(data.type)) settle(() => resolve(events));
      },
      onError: (error) => settle(() => reject(error)),
      onComplete: () => resolve(events),
    });
  });
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const bigMetadata = { blob: 'x'.repeat(limits.metadataBytes) };
const manyKeys = Object.fromEntries(Array.from({ length: limits.metadataKeys + 1 }, (_, index) => [`k${index}`, index]));
/** Typed calls with untyped inputs: the point is to send what the types forbid. */
const raw = <T>(value: unknown) => value as T;

type Call = (client: ThreadlineClient, ids: { sessionId: string }) => Promise<unknown>;

/** [name, call, the path the first issue names (a string: its message must mention it)]. */
const invalidInputs: [string, Call, (string | number)[] | string][] = [
  ['content too long', (c) => c.chat.send.mutate({ content: 'x'.repeat(limits.messageChars + 1) }), ['content']],
  ['empty content', (c) => c.chat.send.mutate({ content: '' }), ['content']],
  ['NUL in content', (c, { sessionId }) => c.chat.send.mutate({ sessionId, content: 'a\u0000b' }), ['content']],
  ['empty content (stream)', (c) => streamed((h) => c.chat.stream.subscribe({ content: '', requestId: 'r' }, h)), ['content']],
  ['title too long', (c) => c.sessions.create.mutate({ title: 't'.repeat(limits.titleChars + 1) }), ['title']],
  ['blank title', (c) => c.sessions.create.mutate({ title: '   ' }), ['title']],
  ['NUL in title', (c) => c.sessions.create.mutate({ title: 'a\u0000' }), ['title']],
  ['update title too long', (c, { sessionId }) => c.sessions.update.mutate({ sessionId, title: 't'.repeat(201) }), ['title']],
  ['new session title too long', (c) => c.chat.send.mutate({ newSession: { title: 'x'.repeat(201) }, content: 'x' }), ['newSession']],
  ['metadata too big', (c) => c.sessions.create.mutate({ metadata: bigMetadata }), ['metadata']],
  ['metadata too many keys', (c) => c.sessions.create.mutate({ metadata: manyKeys }), ['metadata']],
  ['update metadata too big', (c, { sessionId }) => c.sessions.update.mutate({ sessionId, metadata: bigMetadata }), ['metadata']],
  ['page size over the limit', (c) => c.sessions.list.query({ limit: limits.pageSize + 1 }), ['limit']],
  ['page size 0', (c) => c.sessions.list.query({ limit: 0 }), ['limit']],
  ['page size fractional', (c) => c.sessions.list.query({ limit: 1.5 }), ['limit']],
  ['history page size over', (c, { sessionId }) => c.sessions.history.query({ sessionId, limit: 201 }), ['limit']],
  ['history page size 0', (c, { sessionId }) => c.sessions.history.query({ sessionId, limit: 0 }), ['limit']],
  ['NUL in query', (c) => c.sessions.list.query({ query: 'a\u0000' }), ['query']],
  ['empty cursor', (c) => c.sessions.list.query({ cursor: '' }), ['cursor']],
  ['sessionId not a UUID', (c) => c.sessions.get.query({ sessionId: 'session-1' }), ['sessionId']],
  ['delete: sessionId not a UUID', (c) => c.sessions.delete.mutate({ sessionId: "1' or 1=1 --" }), ['sessionId']],
  ['chat: sessionId not a UUID', (c) => c.chat.send.mutate({ sessionId: '42', content: 'x' }), ['sessionId']],
  ['runId not a UUID', (c) => c.runs.get.query({ runId: 'run' }), ['runId']],
  ['cancel: runId not a UUID', (c) => c.runs.cancel.mutate({ runId: '' }), ['runId']],
  ['events: runId not a UUID', (c) => streamed((h) => c.runs.events.subscribe({ runId: 'x' }, h)), ['runId']],
  [
    'events: bad lastEventId',
    (c) => streamed((h) => c.runs.events.subscribe({ runId: randomUUID(), lastEventId: 'x' }, h)),
    ['lastEventId'],
  ],
  ['requestId with a space', (c) => c.chat.send.mutate({ content: 'x', requestId: 'a b' }), ['requestId']],
  ['stream without requestId', (c) => streamed((h) => c.chat.stream.subscribe(raw({ content: 'x' }), h)), ['requestId']],
  ['model id without provider', (c) => c.sessions.create.mutate({ model: 'gpt' }), ['model']],
  ['agent name with spaces', (c) => c.agents.get.query({ agent: 'a b' }), ['agent']],
  ['sessionId and newSession', (c, { sessionId }) => c.chat.send.mutate({ sessionId, newSession: true, content: 'x' }), ['newSession']],
  ['extra key on create', (c) => c.sessions.create.mutate(raw({ title: 'x', owner: 'someone' })), 'owner'],
  ['extra key on get', (c, { sessionId }) => c.sessions.get.query(raw({ sessionId, userId: 'u' })), 'userId'],
  ['extra key on list', (c) => c.sessions.list.query(raw({ all: true })), 'all'],
  ['extra key on send', (c) => c.chat.send.mutate(raw({ content: 'x', userId: 'u' })), 'userId'],
  ['extra key on newSession', (c) => c.chat.send.mutate(raw({ content: 'x', newSession: { id: 'x' } })), ['newSession']],
  ['extra key on runs.get', (c) => c.runs.get.query(raw({ runId: randomUUID(), all: true })), 'all'],
  ['input not an object', (c) => c.sessions.get.query(raw('nope')), []],
];

/** Valid shapes the server must refuse: unknown agents and models, cursors it did not make. */
const refused: [string, Call][] = [
  ['unknown agent (send)', (c) => c.chat.send.mutate({ content: 'x', agent: 'nobody' })],
  ['unknown agent (create)', (c) => c.sessions.create.mutate({ agent: 'nobody' })],
  ['unknown agent (update)', (c, { sessionId }) => c.sessions.update.mutate({ sessionId, agent: 'nobody' })],
  ['unknown model (send)', (c) => c.chat.send.mutate({ content: 'x', model: 'local/nope' })],
  ['unknown provider (send)', (c) => c.chat.send.mutate({ newSession: true, content: 'x', model: 'nope/x' })],
  ['unknown model (create)', (c) => c.sessions.create.mutate({ model: 'nope/model' })],
  ['unknown model (update)', (c, { sessionId }) => c.sessions.update.mutate({ sessionId, model: 'local/nope' })],
  ['unknown model (stream)', (c) => streamed((h) => c.chat.stream.subscribe({ content: 'x', model: 'local/no', requestId: 'q' }, h))],
  ['cursor not base64 JSON', (c) => c.sessions.list.query({ cursor: '!!!' })],
  ['cursor of the wrong shape', (c) => c.sessions.list.query({ cursor: cursorOf({ a: 1 }) })],
  ['cursor with a fraction', (c) => c.sessions.list.query({ cursor: cursorOf([1.5, 'x']) })],
  ['cursor out of range', (c) => c.sessions.list.query({ cursor: cursorOf([1e30, 'x']) })],
  ['cursor with NUL', (c) => c.sessions.list.query({ cursor: cursorOf([1, 'a\u0000']) })],
  ['history cursor garbage', (c, { sessionId }) => c.sessions.history.query({ sessionId, cursor: 'garbage' })],
  ['history given a list cursor', (c, { sessionId }) => c.sessions.history.query({ sessionId, cursor: cursorOf([1, 'x']) })],
];

/** Ids that do not exist. */
const unknownIds: [string, Call][] = [
  ['sessions.get', (c) => c.sessions.get.query({ sessionId: randomUUID() })],
  ['sessions.history', (c) => c.sessions.history.query({ sessionId: randomUUID() })],
  ['sessions.update', (c) => c.sessions.update.mutate({ sessionId: randomUUID(), title: 'x' })],
  ['sessions.clear', (c) => c.sessions.clear.mutate({ sessionId: randomUUID() })],
  ['sessions.archive', (c) => c.sessions.archive.mutate({ sessionId: randomUUID() })],
  ['sessions.unarchive', (c) => c.sessions.unarchive.mutate({ sessionId: randomUUID() })],
  ['sessions.delete', (c) => c.sessions.delete.mutate({ sessionId: randomUUID() })],
  ['chat.send', (c) => c.chat.send.mutate({ sessionId: randomUUID(), content: 'x' })],
  ['chat.stream', (c) => streamed((h) => c.chat.stream.subscribe({ sessionId: randomUUID(), content: 'x', requestId: 'z' }, h))],
  ['runs.get', (c) => c.runs.get.query({ runId: randomUUID() })],
  ['runs.cancel', (c) => c.runs.cancel.mutate({ runId: randomUUID() })],
  ['runs.events', (c) => streamed((h) => c.runs.events.subscribe({ runId: randomUUID() }, h))],
  ['agents.get', (c) => c.agents.get.query({ agent: 'nobody' })],
];

for (const dialect of DIALECTS) {
  describe(`bad input on ${dialect}`, () => {
    let t: TestServer;
    const ids = { sessionId: '' };

    /** Every row of every table, to show failed requests wrote nothing. */
    async function storedRows() {
      const { db } = t.server.services;
      const tables = ['users', 'tokens', 'sessions', 'messages', 'runs'] as const;
      return Object.fromEntries(
        await Promise.all(tables.map(async (table) => [table, await db.selectFrom(table).selectAll().orderBy('id').execute()])),
      );
    }

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      const sent = await t.client.chat.send.mutate({ newSession: { title: 'kept', metadata: { a: 1 } }, content: 'hello' });
      ids.sessionId = sent.sessionId!;
    });
    afterAll(() => t?.close());

    it.each(invalidInputs)('%s → BAD_REQUEST naming the path', async (_, call, path) => {
      const error = await errorOf(call(t.client, ids));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.httpStatus).toBe(400);
      expect(error.issues?.length).toBeGreaterThan(0);
      if (typeof path === 'string') expect(error.issues!.map((issue) => issue.message).join(' ')).toContain(path);
      else expect(error.issues![0]!.path.slice(0, path.length)).toEqual(path);
      expect(error.message).toMatch(/^invalid input: /);
    });

    it.each(refused)('%s → BAD_REQUEST', async (_, call) => {
      const error = await errorOf(call(t.client, ids));
      expect({ code: error.code, httpStatus: error.httpStatus }).toEqual({ code: 'BAD_REQUEST', httpStatus: 400 });
    });

    it.each(unknownIds)('%s with an unknown id → NOT_FOUND', async (_, call) => {
      const error = await errorOf(call(t.client, ids));
      expect({ code: error.code, httpStatus: error.httpStatus }).toEqual({ code: 'NOT_FOUND', httpStatus: 404 });
    });

    it('a body over the limit is 413 PAYLOAD_TOO_LARGE, not 5xx', async () => {
      const content = 'x'.repeat(2 * limits.httpBodyBytes);
      for (const path of ['chat.send', 'sessions.create', 'chat.send?batch=1']) {
        const body = JSON.stringify(path.includes('batch') ? { 0: { json: { content } } } : { json: { content } });
        const response = await fetch(`${t.url}/trpc/${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
          body,
        });
        expect([path, response.status]).toEqual([path, 413]);
        expect(await response.text()).toContain('PAYLOAD_TOO_LARGE');
      }
    });

    it('bodies that are not JSON are BAD_REQUEST, not 5xx', async () => {
      const post = (path: string, body: string) =>
        fetch(`${t.url}/trpc/${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
          body,
        });
      for (const response of [
        await post('chat.send', '{"json":'),
        await post('sessions.create', 'not json at all'),
        await fetch(`${t.url}/trpc/sessions.get?input=%7Bnope`, { headers: { authorization: `Bearer ${t.token}` } }),
      ]) {
        expect(response.status).toBe(400);
        expect(await response.text()).toContain('"BAD_REQUEST"');
      }
    });

    it('failed requests change no stored data', async () => {
      const before = await storedRows();
      for (const [, call] of [...invalidInputs, ...refused, ...unknownIds]) await errorOf(call(t.client, ids));
      await fetch(`${t.url}/trpc/chat.send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ json: { sessionId: ids.sessionId, content: 'x'.repeat(2 * limits.httpBodyBytes) } }),
      });
      expect(await storedRows()).toEqual(before);
      const session = await t.client.sessions.get.query(ids);
      expect(session).toMatchObject({ title: 'kept', metadata: { a: 1 }, agent: 'chat', model: null, messageCount: 2 });
    });
  });
}
