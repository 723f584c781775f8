import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startTestServer } from './helpers/server.js';
import { collectEvents, textOf } from './helpers/stream.js';

for (const dialect of DIALECTS) {
  describe(`chat on ${dialect}`, () => {
    it('chat.send stores the user and assistant messages and returns the answer with usage', async () => {
      await using t = await startTestServer({ dialect });
      const session = await t.client.sessions.create.mutate({ title: 'greetings' });
      const result = await t.client.chat.send.mutate({ sessionId: session.id, content: 'hello there' });
      expect(result).toMatchObject({ sessionId: session.id, status: 'completed', error: null });
      expect(result.message).toMatchObject({ role: 'assistant', content: 'Echo: hello there', status: 'complete', agent: 'chat', model: 'local/echo' });
      expect(result.usage.outputTokens).toBe(3);
      expect(result.message.usage).toEqual(result.usage);

      const { messages } = await t.client.sessions.history.query({ sessionId: session.id });
      expect(messages.map((message) => [message.role, message.content])).toEqual([
        ['user', 'hello there'],
        ['assistant', 'Echo: hello there'],
      ]);
      // The history adds where the answer stands among its versions (one, here).
      expect(messages[1]).toEqual({ ...result.message, siblingCount: 1, siblingIndex: 1, previousSiblingId: null, nextSiblingId: null });
      const run = await t.client.runs.get.query({ runId: result.runId });
      expect(run).toMatchObject({ status: 'completed', finishReason: 'stop', usage: result.usage, sessionId: session.id });
      expect(run.startedAt!.getTime()).toBeLessThanOrEqual(run.firstTokenAt!.getTime());
      expect(run.firstTokenAt!.getTime()).toBeLessThanOrEqual(run.endedAt!.getTime());
      const stored = await t.client.sessions.get.query({ sessionId: session.id });
      expect(stored.messageCount).toBe(2);
      expect(stored.lastMessageAt).toEqual(messages[1]!.createdAt);
    });

    it('chat.stream yields run-start first, text deltas, message-end, then exactly one terminal event', async () => {
      await using t = await startTestServer({ dialect });
      const { events, error } = await collectEvents((handlers) =>
        t.client.chat.stream.subscribe({ newSession: { title: 'streamed' }, content: '/think why not /long 30', requestId: randomUUID() }, handlers),
      );
      expect(error).toBeUndefined();
      const types = events.map((event) => event.data.type);
      expect(types[0]).toBe('run-start');
      expect(types.at(-2)).toBe('message-end');
      expect(types.at(-1)).toBe('run-finish');
      expect(types.filter((type) => ['run-finish', 'run-error', 'run-cancel'].includes(type))).toHaveLength(1);
      // Deltas arriving within one event-loop turn are merged into one frame; the text is unchanged.
      const reasoning = events.flatMap(({ data }) => (data.type === 'reasoning-delta' ? [data.delta] : []));
      expect(reasoning.join('')).toBe('why not');
      expect(events.map((event) => Number(event.id))).toEqual(events.map((_, index) => index + 1));

      const start = events[0]!.data;
      if (start.type !== 'run-start') throw new Error('unreachable');
      expect(start.sessionCreated).toBe(true);
      const end = events.at(-2)!.data;
      if (end.type !== 'message-end') throw new Error('unreachable');
      expect(textOf(events)).toBe(end.message.content);
      expect(end.message.parts).toEqual([
        { type: 'reasoning', text: 'why not' },
        { type: 'text', text: end.message.content },
      ]);
      const session = await t.client.sessions.get.query({ sessionId: start.sessionId! });
      expect(session).toMatchObject({ title: 'streamed', messageCount: 2 });
    });

    it('a stateless run stores nothing but the run record', async () => {
      await using t = await startTestServer({ dialect });
      const result = await t.client.chat.send.mutate({ content: 'just once' });
      expect(result.sessionId).toBeNull();
      expect(result.message.content).toBe('Echo: just once');
      expect((await t.client.sessions.list.query()).items).toEqual([]);
      const counted = await t.server.services.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(counted.n)).toBe(0);
      expect(await t.client.runs.get.query({ runId: result.runId })).toMatchObject({ status: 'completed', sessionId: null });
    });

    it('a repeated requestId of a stateless run returns the same answer, also after its events expired', async () => {
      await using t = await startTestServer({ dialect, environment: { THREADLINE_RUN_RETENTION_MS: '10' } });
      const requestId = randomUUID();
      const first = await t.client.chat.send.mutate({ content: 'only once /long 3', requestId });
      await expect.poll(() => t.server.services.log.has(first.runId)).toBe(false);
      const again = await t.client.chat.send.mutate({ content: 'only once /long 3', requestId });
      expect(again).toEqual(first);
      expect(again.message.content).toBe('Echo: only once /long 3');
    });

    it('the agent sees the session history', async () => {
      await using t = await startTestServer({ dialect });
      const first = await t.client.chat.send.mutate({ newSession: true, content: 'one two three' });
      const second = await t.client.chat.send.mutate({ sessionId: first.sessionId!, content: 'four' });
      const system = t.server.services.agents.get('chat').instructions.split(/\s+/).length;
      // system prompt + "one two three" + "Echo: one two three" + "four"
      expect(second.usage.inputTokens).toBe(system + 3 + 4 + 1);
      expect(first.usage.inputTokens).toBe(system + 3);
    });

    it('the same requestId never starts a second run', async () => {
      await using t = await startTestServer({ dialect });
      const requestId = randomUUID();
      const [a, b] = await Promise.all([
        t.client.chat.send.mutate({ newSession: true, content: 'once', requestId }),
        t.client.chat.send.mutate({ newSession: true, content: 'once', requestId }),
      ]);
      expect(b.runId).toBe(a.runId);
      const again = await t.client.chat.send.mutate({ newSession: true, content: 'once', requestId });
      expect(again.runId).toBe(a.runId);
      expect(again.message.content).toBe('Echo: once');
      expect((await t.client.sessions.list.query()).items).toHaveLength(1);
      const replay = await collectEvents((handlers) => t.client.chat.stream.subscribe({ newSession: true, content: 'once', requestId }, handlers));
      expect(replay.events.at(-1)!.data.type).toBe('run-finish');
      expect(textOf(replay.events) || (replay.events.find((event) => event.data.type === 'message-end')?.data as { message: { content: string } }).message.content).toBe('Echo: once');
    });

    it('concurrent sends to one session run in order and never interleave', async () => {
      await using t = await startTestServer({ dialect, environment: { THREADLINE_LOCAL_DELAY_MS: '1' } });
      const session = await t.client.sessions.create.mutate({});
      const contents = ['/long 20 a', '/long 5 b', '/long 12 c', 'd', '/long 3 e'];
      const results = await Promise.all(contents.map((content) => t.client.chat.send.mutate({ sessionId: session.id, content })));
      const { messages } = await t.client.sessions.history.query({ sessionId: session.id });
      expect(messages).toHaveLength(10);
      for (let index = 0; index < messages.length; index += 2) {
        expect(messages[index]!.role).toBe('user');
        expect(messages[index + 1]!.role).toBe('assistant');
        expect(messages[index + 1]!.runId).toBe(messages[index]!.runId);
      }
      expect(new Set(messages.filter((message) => message.role === 'user').map((message) => message.content))).toEqual(new Set(contents));
      expect(results.every((result) => result.status === 'completed')).toBe(true);
    });

    it('writes O(1) rows per run, however long the answer', async () => {
      await using t = await startTestServer({ dialect });
      const session = await t.client.sessions.create.mutate({});
      const countRows = async () => {
        const rows = await t.server.services.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        return Number(rows.n);
      };
      await t.client.chat.send.mutate({ sessionId: session.id, content: '/long 5' });
      const afterShort = await countRows();
      await t.client.chat.send.mutate({ sessionId: session.id, content: '/long 2000' });
      expect((await countRows()) - afterShort).toBe(2);
      if (dialect === 'sqlite') {
        const changes = async () => Number((await sql<{ n: number }>`select total_changes() as n`.execute(t.server.services.db)).rows[0]!.n);
        const before = await changes();
        await t.client.chat.send.mutate({ sessionId: session.id, content: '/long 5' });
        const short = (await changes()) - before;
        await t.client.chat.send.mutate({ sessionId: session.id, content: '/long 3000' });
        expect((await changes()) - before - short).toBe(short);
      }
    });

    it('a provider failure ends the stream with one run-error and keeps the partial answer', async () => {
      await using t = await startTestServer({ dialect });
      const { events } = await collectEvents((handlers) =>
        t.client.chat.stream.subscribe({ newSession: true, content: '/fail reset /long 10', requestId: randomUUID() }, handlers),
      );
      expect(events.at(-1)!.data).toMatchObject({ type: 'run-error', code: 'provider_unavailable', retryable: true });
      const start = events[0]!.data as { sessionId: string; runId: string };
      const { messages } = await t.client.sessions.history.query({ sessionId: start.sessionId });
      expect(messages[1]).toMatchObject({ role: 'assistant', status: 'failed', content: textOf(events) });
      expect(await t.client.runs.get.query({ runId: start.runId })).toMatchObject({ status: 'failed', error: { code: 'provider_unavailable' } });

      const auth = await t.client.chat.send.mutate({ sessionId: start.sessionId, content: '/fail auth' });
      expect(auth).toMatchObject({ status: 'failed', error: { code: 'provider_auth', retryable: false } });
      expect((await t.client.sessions.history.query({ sessionId: start.sessionId })).messages).toHaveLength(3);
    });

    it('runs.cancel stops a running answer, keeps the partial text as cancelled, and is idempotent', async () => {
      await using t = await startTestServer({ dialect, environment: { THREADLINE_LOCAL_DELAY_MS: '5' } });
      let runId = '';
      const cancelled: Promise<unknown>[] = [];
      const { events } = await collectEvents(
        (handlers) => t.client.chat.stream.subscribe({ newSession: true, content: '/long 1000', requestId: randomUUID() }, handlers),
        (event) => {
          if (event.data.type === 'run-start') runId = event.data.runId;
          if (event.data.type === 'text-delta' && Number(event.id) === 6) cancelled.push(t.client.runs.cancel.mutate({ runId }));
        },
      );
      await Promise.all(cancelled);
      expect(events.at(-1)!.data.type).toBe('run-cancel');
      const run = await t.client.runs.cancel.mutate({ runId });
      expect(run.status).toBe('cancelled');
      const { messages } = await t.client.sessions.history.query({ sessionId: run.sessionId! });
      expect(messages[1]).toMatchObject({ status: 'cancelled', content: textOf(events) });
      expect(messages[1]!.content.split(' ').length).toBeLessThan(1000);
    });

    it('runs.cancel by requestId stops the run of that send, and a stop sent before the send cancels the run it would start', async () => {
      await using t = await startTestServer({ dialect, environment: { THREADLINE_LOCAL_DELAY_MS: '5' } });
      // While it streams: the client knows only its requestId.
      const requestId = randomUUID();
      let started!: () => void;
      const begun = new Promise<void>((resolve) => (started = resolve));
      const live = collectEvents(
        (handlers) => t.client.chat.stream.subscribe({ newSession: true, content: '/long 1000', requestId }, handlers),
        (event) => event.data.type === 'text-delta' && started(),
      );
      await begun;
      const stopped = await t.client.runs.cancel.mutate({ requestId });
      expect(stopped.status).toBe('cancelled');
      expect((await live).events.at(-1)!.data).toEqual({ type: 'run-cancel', reason: 'cancelled by the user' });
      expect(await t.client.runs.cancel.mutate({ requestId })).toEqual(stopped);

      // Before the send: the send then answers with the run already cancelled, and nothing runs or is stored.
      const early = randomUUID();
      const cancelled = await t.client.runs.cancel.mutate({ requestId: early });
      expect(cancelled).toMatchObject({ status: 'cancelled', requestId: early, sessionId: null, startedAt: null });
      const sessionsBefore = (await t.client.sessions.list.query()).items.length;
      const answer = await t.client.chat.send.mutate({ newSession: true, content: 'too late', requestId: early });
      expect(answer).toMatchObject({ runId: cancelled.id, status: 'cancelled', sessionId: null });
      expect(answer.message.content).toBe('');
      expect((await t.client.sessions.list.query()).items).toHaveLength(sessionsBefore);
      const streamed = await collectEvents((handlers) => t.client.chat.stream.subscribe({ content: 'too late', requestId: early }, handlers));
      expect(streamed.events.map((event) => event.data.type)).toEqual(['run-start', 'run-cancel']);
      expect(await t.client.runs.cancel.mutate({ requestId: early })).toEqual(cancelled);

      // Another user's requestId is theirs alone: cancelling the same string here stops nothing of theirs.
      const { client: bob } = await t.addUser('bob');
      const shared = randomUUID();
      await t.client.runs.cancel.mutate({ requestId: shared });
      const bobs = await bob.chat.send.mutate({ content: 'mine', requestId: shared });
      expect(bobs).toMatchObject({ status: 'completed' });
    });

    it('a cancelled run replayed from the store ends with the reason it streamed live', async () => {
      await using t = await startTestServer({ dialect, environment: { THREADLINE_LOCAL_DELAY_MS: '5', THREADLINE_RUN_RETENTION_MS: '10' } });
      const first = await t.client.chat.send.mutate({ newSession: true, content: 'hello' });
      const sessionId = first.sessionId!;
      await t.client.sessions.update.mutate({ sessionId, busyPolicy: 'interrupt' });
      const requestId = randomUUID();
      let runId = '';
      const live = collectEvents(
        (handlers) => t.client.chat.stream.subscribe({ sessionId, content: '/long 1000', requestId }, handlers),
        (event) => void (event.data.type === 'run-start' && (runId = event.data.runId)),
      );
      await expect.poll(() => runId, { timeout: 10_000 }).not.toBe('');
      await t.client.chat.send.mutate({ sessionId, content: 'newer' });
      const { events } = await live;
      expect(events.at(-1)!.data).toMatchObject({ type: 'run-cancel', reason: 'interrupted by a newer message' });
      // The live log is gone after the retention time: the events come from the store.
      await expect.poll(async () => t.server.services.log.has(runId), { timeout: 10_000 }).toBe(false);
      const replayed = await collectEvents((handlers) => t.client.runs.events.subscribe({ runId }, handlers));
      expect(replayed.events.at(-1)!.data).toEqual({ type: 'run-cancel', reason: 'interrupted by a newer message' });
    });
  });
}

describe('system', () => {
  it('answers health and info without a token, status with one, and /healthz', async () => {
    await using t = await startTestServer();
    const anonymous = t.clientFor();
    expect((await anonymous.system.health.query()).ok).toBe(true);
    const info = await anonymous.system.info.query();
    expect(info).toMatchObject({ name: 'threadline', defaultModel: 'local/echo', database: 'sqlite' });
    expect(info.providers.map((provider) => provider.name)).toContain('local');
    expect(info.features).toEqual(expect.arrayContaining(['resume', 'cancel', 'approvals', 'sqlite']));
    expect(info.features).not.toContain('redis');
    await expect(anonymous.system.status.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    await t.addUser('second');
    expect(await t.client.system.status.query()).toMatchObject({ activeRuns: 0, queuedRuns: 0, own: { queued: 0, running: 0, waiting: 0 } });
    expect(await t.client.models.list.query()).toContainEqual({ id: 'local/echo', provider: 'local', name: 'echo' });
    expect((await t.client.agents.list.query()).map((agent) => agent.name)).toContain('chat');
    expect(await t.client.agents.get.query({ agent: 'chat' })).toMatchObject({ model: 'local/echo' });
    const response = await fetch(`${t.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
  });

  it('counts active runs, and the caller\'s own, in system.status', async () => {
    await using t = await startTestServer({ environment: { THREADLINE_LOCAL_DELAY_MS: '20' } });
    const requestId = randomUUID();
    let status: unknown;
    await collectEvents(
      (handlers) => t.client.chat.stream.subscribe({ content: '/long 20', requestId }, handlers),
      (event) => {
        if (Number(event.id) === 3) void t.client.system.status.query().then((value) => (status = value));
      },
    );
    expect(status).toMatchObject({ activeRuns: 1, own: { running: 1 } });
  });
});
