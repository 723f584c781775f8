import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamEvent } from '@threadline/shared';
import type { ThreadlineClient } from '../client/src/client.js';
import { revokeToken } from '../server/src/store/users.js';
import { DIALECTS } from '../server/src/testing/databases.js';
import { PATIENCE_MS } from './helpers/patience.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** What a failed call reports: its tRPC code and message. */
interface Failure {
  code: string;
  message: string;
}

async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (error) {
    const { data, message } = error as { data?: { code?: string }; message: string };
    return { code: data?.code ?? 'NO_CODE', message };
  }
  throw new Error('expected the call to fail');
}

type Subscribe = (handlers: {
  onData(value: { id: string; data: StreamEvent }): void;
  onError(error: unknown): void;
  onComplete(): void;
}) => { unsubscribe(): void };

/** A subscription as a promise: its events up to the terminal one, or its error. */
function follow(subscribe: Subscribe, onEvent: (event: StreamEvent) => void = () => {}): Promise<StreamEvent[]> {
  return new Promise((resolve, reject) => {
    const events: StreamEvent[] = [];
    const timer = setTimeout(() => finish(() => reject(new Error('subscription timed out'))), PATIENCE_MS);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      subscription.unsubscribe();
      settle();
    };
    const subscription = subscribe({
      onData({ data }) {
        events.push(data);
        onEvent(data);
        if (['run-finish', 'run-error', 'run-cancel'].includes(data.type)) finish(() => resolve(events));
      },
      onError: (error) => finish(() => reject(error)),
      onComplete: () => finish(() => resolve(events)),
    });
  });
}

/** Every procedure that takes a session or run id, called with the given ids. */
function idCalls(ids: { sessionId: string; runId: string; messageId?: string }): Record<string, (client: ThreadlineClient) => Promise<unknown>> {
  const { sessionId, runId } = ids;
  const messageId = ids.messageId ?? randomUUID();
  return {
    'messages.edit': (client) => client.messages.edit.mutate({ messageId, content: 'rewritten' }),
    'messages.regenerate': (client) => client.messages.regenerate.mutate({ messageId }),
    'messages.rate': (client) => client.messages.rate.mutate({ messageId, rating: 'down', comment: 'not yours' }),
    'sessions.switchBranch': (client) => client.sessions.switchBranch.mutate({ sessionId, messageId }),
    'sessions.export': (client) => client.sessions.export.query({ sessionId, format: 'json' }),
    'sessions.export (markdown)': (client) => client.sessions.export.query({ sessionId, format: 'markdown' }),
    'search.messages (session)': (client) => client.search.messages.query({ query: 'hello', sessionId }),
    'sessions.get': (client) => client.sessions.get.query({ sessionId }),
    'sessions.history': (client) => client.sessions.history.query({ sessionId, limit: 200 }),
    'sessions.update': (client) =>
      client.sessions.update.mutate({ sessionId, title: 'taken over', metadata: { owner: 'b' }, model: null }),
    'sessions.clear': (client) => client.sessions.clear.mutate({ sessionId }),
    'runs.list (session)': (client) => client.runs.list.query({ sessionId }),
    'sessions.archive': (client) => client.sessions.archive.mutate({ sessionId }),
    'sessions.unarchive': (client) => client.sessions.unarchive.mutate({ sessionId }),
    'sessions.delete': (client) => client.sessions.delete.mutate({ sessionId }),
    'chat.send': (client) => client.chat.send.mutate({ sessionId, content: 'let me in' }),
    'chat.send (requestId)': (client) => client.chat.send.mutate({ sessionId, content: 'hi', requestId: 'req-a-3' }),
    'chat.stream': (client) =>
      follow((handlers) => client.chat.stream.subscribe({ sessionId, content: 'hi', requestId: randomUUID() }, handlers)),
    'runs.get': (client) => client.runs.get.query({ runId }),
    'runs.cancel': (client) => client.runs.cancel.mutate({ runId }),
    'runs.approve': (client) => client.runs.approve.mutate({ runId }),
    'runs.deny': (client) => client.runs.deny.mutate({ runId, reason: 'not yours' }),
    'runs.events': (client) => follow((handlers) => client.runs.events.subscribe({ runId }, handlers)),
    'runs.events (resume)': (client) =>
      follow((handlers) => client.runs.events.subscribe({ runId, lastEventId: '1' }, handlers)),
    'sessions.events': (client) =>
      follow((handlers) => client.sessions.events.subscribe({ sessionId }, { ...handlers, onData: ({ data }) => handlers.onData({ id: '', data: data.event }) })),
    'sessions.events (resume)': (client) =>
      follow((handlers) =>
        client.sessions.events.subscribe({ sessionId, lastEventId: `${runId}~${runId}.1` }, { ...handlers, onData: ({ data }) => handlers.onData({ id: '', data: data.event }) }),
      ),
  };
}

/** Every authed procedure, with inputs that would pass validation. */
function authedCalls(): Record<string, (client: ThreadlineClient) => Promise<unknown>> {
  return {
    ...idCalls({ sessionId: randomUUID(), runId: randomUUID() }),
    'sessions.create': (client) => client.sessions.create.mutate({ title: 'x' }),
    'sessions.list': (client) => client.sessions.list.query(),
    'chat.send (new session)': (client) => client.chat.send.mutate({ newSession: true, content: 'hi' }),
    'chat.stream (stateless)': (client) =>
      follow((handlers) => client.chat.stream.subscribe({ content: 'hi', requestId: randomUUID() }, handlers)),
    'agents.list': (client) => client.agents.list.query(),
    'agents.get': (client) => client.agents.get.query({ agent: 'chat' }),
    'models.list': (client) => client.models.list.query(),
    'system.status': (client) => client.system.status.query(),
  };
}

for (const dialect of DIALECTS) {
  describe(`isolation between users on ${dialect}`, () => {
    let t: TestServer;
    let a: ThreadlineClient;
    let b: ThreadlineClient;
    const ids = { sessionId: '', archivedId: '', runId: '', statelessRunId: '', messageId: '', archivedMessageId: '' };

    /** Everything A can read: compared before and after B's attempts. */
    async function snapshotOfA() {
      const sessions = [
        ...(await a.sessions.list.query({ limit: 200 })).items,
        ...(await a.sessions.list.query({ limit: 200, archived: true })).items,
      ];
      const histories = await Promise.all(sessions.map((session) => a.sessions.history.query({ sessionId: session.id })));
      const runs = await Promise.all([ids.runId, ids.statelessRunId].map((runId) => a.runs.get.query({ runId })));
      return { sessions, histories, runs };
    }

    beforeAll(async () => {
      t = await startTestServer({ dialect });
      a = t.client;
      b = (await t.addUser('bob')).client;
      const sent = await a.chat.send.mutate({
        newSession: { title: 'alpha secret', metadata: { plan: 'private' } },
        content: 'hello from a',
        requestId: 'req-a-1',
      });
      Object.assign(ids, { sessionId: sent.sessionId!, runId: sent.runId, messageId: sent.message.id });
      await a.chat.send.mutate({ sessionId: ids.sessionId, content: 'second message' });
      const archived = await a.sessions.create.mutate({ title: 'alpha archived' });
      ids.archivedMessageId = (await a.chat.send.mutate({ sessionId: archived.id, content: 'old', requestId: 'req-a-3' })).message.id;
      await a.sessions.archive.mutate({ sessionId: archived.id });
      ids.archivedId = archived.id;
      await a.sessions.create.mutate({ title: 'alpha empty', metadata: { n: 1 } });
      ids.statelessRunId = (await a.chat.send.mutate({ content: 'no session', requestId: 'req-a-2' })).runId;
    });
    afterAll(() => t?.close());

    it('B gets NOT_FOUND for every procedure given A ids, and A data is unchanged', async () => {
      const before = await snapshotOfA();
      for (const target of [
        { sessionId: ids.sessionId, runId: ids.runId, messageId: ids.messageId },
        { sessionId: ids.archivedId, runId: ids.statelessRunId, messageId: ids.archivedMessageId },
      ]) {
        for (const [name, call] of Object.entries(idCalls(target))) {
          expect({ name, ...(await failure(call(b))) }).toMatchObject({ name, code: 'NOT_FOUND' });
        }
      }
      expect(await snapshotOfA()).toEqual(before);
      expect(before.sessions.map((session) => session.messageCount)).toEqual([0, 4, 2]);
    });

    it('list-like procedures show B none of A data', async () => {
      const firstPageOfA = await a.sessions.list.query({ limit: 1 });
      expect(firstPageOfA.nextCursor).not.toBeNull();
      for (const input of [undefined, { archived: true }, { query: 'alpha' }, { cursor: firstPageOfA.nextCursor! }]) {
        expect(await b.sessions.list.query(input)).toEqual({ items: [], nextCursor: null });
      }
      expect((await a.runs.list.query()).items.length).toBeGreaterThan(3);
      for (const input of [undefined, { status: ['completed' as const] }, { limit: 1 }]) {
        expect(await b.runs.list.query(input)).toEqual({ items: [], nextCursor: null });
      }
      expect((await a.search.messages.query({ query: 'hello second' })).items.length).toBeGreaterThan(0);
      expect(await b.search.messages.query({ query: 'hello second old alpha echo' })).toEqual({ items: [], nextCursor: null });
      expect(await b.agents.list.query()).toEqual(await a.agents.list.query());
      expect(await b.models.list.query()).toEqual(await a.models.list.query());
      const status = await b.system.status.query();
      expect(JSON.stringify(status)).not.toContain(ids.sessionId);
    });

    it('NOT_FOUND for A ids is indistinguishable from NOT_FOUND for ids that do not exist', async () => {
      const foreign = idCalls({ sessionId: ids.sessionId, runId: ids.runId, messageId: ids.messageId });
      const missing = idCalls({ sessionId: randomUUID(), runId: randomUUID() });
      for (const [name, call] of Object.entries(foreign)) {
        const [ofA, ofNobody] = [await failure(call(b)), await failure(missing[name]!(b))];
        expect({ name, ...ofA }).toEqual({ name, ...ofNobody });
      }
    });

    it('B can reuse A requestId: it gets a run of its own, never A run', async () => {
      const sent = await b.chat.send.mutate({ content: 'mine', requestId: 'req-a-2' });
      expect(sent.runId).not.toBe(ids.statelessRunId);
      expect(sent.message.content).toBe('Echo: mine');
      const input = { content: 'streamed', requestId: 'req-a-1' };
      const events = await follow((handlers) => b.chat.stream.subscribe(input, handlers));
      const start = events.find((event) => event.type === 'run-start');
      expect(start).toMatchObject({ type: 'run-start', sessionId: null });
      expect([ids.runId, sent.runId]).not.toContain(start?.type === 'run-start' ? start.runId : undefined);
      expect(JSON.stringify(events)).not.toContain('hello from a');
      expect((await a.runs.get.query({ runId: ids.statelessRunId })).requestId).toBe('req-a-2');
    });

    it('B streams only into its own session', async () => {
      const own = await b.sessions.create.mutate({ title: 'bob' });
      const events = await follow((handlers) =>
        b.chat.stream.subscribe({ sessionId: own.id, content: 'bob here', requestId: randomUUID() }, handlers),
      );
      expect(events.at(-1)?.type).toBe('run-finish');
      const history = await b.sessions.history.query({ sessionId: own.id });
      expect(history.messages.map((message) => message.content)).toEqual(['bob here', 'Echo: bob here']);
      expect(history.messages.every((message) => message.sessionId === own.id)).toBe(true);
    });

    it('B cannot cancel, follow, clear or delete A run in flight', async () => {
      let started!: (event: StreamEvent) => void;
      const firstEvent = new Promise<StreamEvent>((resolve) => (started = resolve));
      const running = follow(
        (handlers) =>
          a.chat.stream.subscribe(
            { newSession: { title: 'in flight' }, content: '/slow 50 /long 100', requestId: 'req-a-slow' },
            handlers,
          ),
        (event) => started(event),
      );
      const start = await firstEvent;
      if (start.type !== 'run-start') throw new Error(`first event was ${start.type}`);
      const target = { sessionId: start.sessionId!, runId: start.runId };
      for (const [name, call] of Object.entries(idCalls(target))) {
        expect({ name, ...(await failure(call(b))) }).toMatchObject({ name, code: 'NOT_FOUND' });
      }
      expect((await a.runs.get.query({ runId: start.runId })).status).toBe('running');
      const events = await running;
      expect(events.at(-1)?.type).toBe('run-finish');
      const history = await a.sessions.history.query({ sessionId: target.sessionId });
      expect(history.messages.map((message) => message.status)).toEqual(['complete', 'complete']);
      expect(history.messages[1]!.content.split(' ')).toHaveLength(100);
    });

    it('no token, a revoked token or a bad token: UNAUTHORIZED everywhere but health and info', async () => {
      const revoked = await t.addUser('carol');
      expect(await revokeToken(t.server.services.db, revoked.token)).toBe(true);
      const clients = {
        'no token': t.clientFor(),
        revoked: revoked.client,
        'unknown token': t.clientFor('tl_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
        'not a token': t.clientFor('hello'),
      };
      for (const [who, client] of Object.entries(clients)) {
        for (const [name, call] of Object.entries(authedCalls())) {
          expect({ who, name, ...(await failure(call(client))) }).toMatchObject({ who, name, code: 'UNAUTHORIZED' });
        }
        expect((await client.system.health.query()).ok).toBe(true);
        expect((await client.system.info.query()).name).toBe('threadline');
      }
      expect(await b.sessions.list.query({ query: 'x' })).toEqual({ items: [], nextCursor: null });
    });

    it('a malformed Authorization header is UNAUTHORIZED over raw HTTP', async () => {
      const headers = ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', t.token, `Bearer ${t.token} extra`, `Token ${t.token}`];
      const input = (value: unknown) => `?input=${encodeURIComponent(JSON.stringify({ json: value }))}`;
      for (const authorization of headers) {
        const query = await fetch(`${t.url}/trpc/sessions.get${input({ sessionId: ids.sessionId })}`, {
          headers: { authorization },
        });
        expect([authorization, query.status, await query.text()]).toEqual([
          authorization,
          401,
          expect.stringContaining('UNAUTHORIZED'),
        ]);
        const mutation = await fetch(`${t.url}/trpc/sessions.delete`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify({ json: { sessionId: ids.sessionId } }),
        });
        expect([authorization, mutation.status]).toEqual([authorization, 401]);
        const stream = await fetch(`${t.url}/trpc/runs.events${input({ runId: ids.runId })}`, {
          headers: { authorization, accept: 'text/event-stream' },
        });
        expect([authorization, await stream.text()]).toEqual([authorization, expect.stringContaining('"UNAUTHORIZED"')]);
      }
      expect((await a.sessions.get.query({ sessionId: ids.sessionId })).title).toBe('alpha secret');
    });
  });
}
