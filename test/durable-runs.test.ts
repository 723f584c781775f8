import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../client/src/client.js';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startProxy } from './helpers/proxy.js';
import { startProcessTarget, startServerProcess } from './helpers/process.js';
import { collectEvents, textOf, type ReceivedEvent } from './helpers/stream.js';

const ids = (events: ReceivedEvent[]) => events.map((event) => Number(event.id));
const startOf = (events: ReceivedEvent[]) => events[0]!.data as { runId: string; sessionId: string };

for (const dialect of DIALECTS) {
  describe(`durable runs on ${dialect}`, () => {
    it('resumes a dropped stream with the same requestId and lastEventId: no gap, no repeat, no second run', async () => {
      await using t = await startProcessTarget({ dialect, environment: { THREADLINE_LOCAL_DELAY_MS: '3' } });
      const requestId = randomUUID();
      const input = { newSession: true as const, content: '/long 80', requestId };
      let stop: () => void = () => {};
      const first = await new Promise<ReceivedEvent[]>((resolve) => {
        const events: ReceivedEvent[] = [];
        const subscription = t.client.chat.stream.subscribe(input, {
          onData(event) {
            events.push(event);
            if (events.length === 20) stop();
          },
        });
        stop = () => {
          subscription.unsubscribe();
          resolve(events);
        };
      });
      const rest = await collectEvents((handlers) => t.client.chat.stream.subscribe({ ...input, lastEventId: '20' }, handlers));
      const all = [...first, ...rest.events];
      expect(ids(all)).toEqual(all.map((_, index) => index + 1));
      expect(all.at(-1)!.data.type).toBe('run-finish');
      // One run: the session holds one exchange, and the requestId still names the same run.
      const { messages } = await t.client.sessions.history.query({ sessionId: startOf(all).sessionId });
      expect(messages.map((message) => message.content)).toEqual(['/long 80', textOf(all)]);
      expect((await t.client.chat.send.mutate(input)).runId).toBe(startOf(all).runId);
    });

    it('reconnects by itself after the connection is cut mid-stream and continues without a gap', async () => {
      await using t = await startProcessTarget({ dialect, environment: { THREADLINE_LOCAL_DELAY_MS: '5' } });
      await using proxy = await startProxy(t.url);
      const client = createThreadlineClient({ url: proxy.url, token: t.token });
      let cut = false;
      const { events, error } = await collectEvents(
        (handlers) => client.chat.stream.subscribe({ newSession: true, content: '/long 150', requestId: randomUUID() }, handlers),
        (event) => {
          if (!cut && Number(event.id) === 15) {
            cut = true;
            proxy.cutAll();
          }
        },
      );
      expect(error).toBeUndefined();
      expect(proxy.connections()).toBeGreaterThanOrEqual(2);
      expect(ids(events)).toEqual(events.map((_, index) => index + 1));
      const end = events.at(-2)!.data;
      if (end.type !== 'message-end') throw new Error(`expected message-end, got ${end.type}`);
      expect(textOf(events)).toBe(end.message.content);
      expect(end.message.content.split(' ')).toHaveLength(150);
    });

    it('lets a second client join mid-run with the backlog then live events, and replay after the end', async () => {
      await using t = await startProcessTarget({ dialect, environment: { THREADLINE_LOCAL_DELAY_MS: '3' } });
      let joined: Promise<{ events: ReceivedEvent[] }> | undefined;
      const first = await collectEvents(
        (handlers) => t.client.chat.stream.subscribe({ newSession: true, content: '/think hm /long 60', requestId: randomUUID() }, handlers),
        (event, events) => {
          if (Number(event.id) === 10) {
            const { runId } = startOf(events);
            joined = collectEvents((handlers) => t.client.runs.events.subscribe({ runId }, handlers));
          }
        },
      );
      const second = await joined!;
      expect(second.events).toEqual(first.events);
      const replay = await collectEvents((handlers) => t.client.runs.events.subscribe({ runId: startOf(first.events).runId }, handlers));
      expect(replay.events).toEqual(first.events);
    });

    it('after the retention time a finished run still replays its stored message and terminal event', async () => {
      await using t = await startProcessTarget({ dialect, environment: { THREADLINE_RUN_RETENTION_MS: '20' } });
      const sent = await t.client.chat.send.mutate({ newSession: true, content: 'kept' });
      const replayed = async () => (await collectEvents((handlers) => t.client.runs.events.subscribe({ runId: sent.runId }, handlers))).events;
      // Until the server's retention timer has fired, the events still replay from memory.
      await expect.poll(async () => (await replayed()).map((event) => event.data.type)).toEqual(['run-start', 'message-end', 'run-finish']);
      const resumed = await collectEvents((handlers) => t.client.runs.events.subscribe({ runId: sent.runId, lastEventId: '7' }, handlers));
      expect(resumed.events.map((event) => [event.id, event.data.type])).toEqual([
        ['8', 'message-end'],
        ['9', 'run-finish'],
      ]);
    });

    it('a client leaving does not stop the run; onDisconnect: cancel does', async () => {
      await using t = await startProcessTarget({ dialect, environment: { THREADLINE_LOCAL_DELAY_MS: '3' } });
      // `cancel` must reach the run before it ends by itself: its words are slower (10 s in all).
      for (const [onDisconnect, content] of [['continue', '/long 100'], ['cancel', '/slow 100 /long 100']] as const) {
        const requestId = randomUUID();
        await new Promise<void>((resolve) => {
          const subscription = t.client.chat.stream.subscribe(
            { newSession: true, content, requestId, onDisconnect },
            {
              onData(event) {
                if (Number(event.id) === 5) {
                  subscription.unsubscribe();
                  resolve();
                }
              },
            },
          );
        });
        const outcome = await t.client.chat.send.mutate({ newSession: true, content, requestId });
        if (onDisconnect === 'continue') {
          expect(outcome.status).toBe('completed');
          expect(outcome.message.content.split(' ')).toHaveLength(100);
        } else {
          expect(outcome.status).toBe('cancelled');
          expect(outcome.message.status).toBe('cancelled');
        }
      }
    });

    it('a session policy decides what a second message does: reject, or interrupt keeping the partial answer', async () => {
      await using t = await startProcessTarget({ dialect });
      /** Streams a slow answer in the session and resolves once its first token arrived. */
      const streamUntilFirstToken = (sessionId: string) => {
        let first: () => void = () => {};
        const started = new Promise<void>((resolve) => (first = resolve));
        const done = collectEvents(
          (handlers) => t.client.chat.stream.subscribe({ sessionId, content: '/slow 20 /long 100', requestId: randomUUID() }, handlers),
          (event) => event.data.type === 'text-delta' && first(),
        );
        return { started, done };
      };

      const rejecting = await t.client.sessions.create.mutate({ busyPolicy: 'reject' });
      const running = streamUntilFirstToken(rejecting.id);
      await running.started;
      await expect(t.client.chat.send.mutate({ sessionId: rejecting.id, content: 'me too' })).rejects.toMatchObject({ data: { code: 'CONFLICT' } });
      expect((await running.done).events.at(-1)!.data.type).toBe('run-finish');
      expect((await t.client.chat.send.mutate({ sessionId: rejecting.id, content: 'now' })).status).toBe('completed');

      const interrupting = await t.client.sessions.create.mutate({ busyPolicy: 'interrupt' });
      const first = streamUntilFirstToken(interrupting.id);
      await first.started;
      const second = await t.client.chat.send.mutate({ sessionId: interrupting.id, content: 'stop that' });
      const interrupted = await first.done;
      expect(interrupted.events.at(-1)!.data).toMatchObject({ type: 'run-cancel', reason: 'interrupted by a newer message' });
      expect(second).toMatchObject({ status: 'completed', message: { content: 'Echo: stop that' } });
      const { messages } = await t.client.sessions.history.query({ sessionId: interrupting.id });
      expect(messages.map((message) => [message.role, message.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'cancelled'],
        ['user', 'complete'],
        ['assistant', 'complete'],
      ]);
      expect(messages[1]!.content).toBe(textOf(interrupted.events));
    });

    it('fails a run that outlives the maximum duration, keeping its partial answer', async () => {
      await using t = await startProcessTarget({ dialect, environment: { THREADLINE_MAX_RUN_MS: '150', THREADLINE_LOCAL_DELAY_MS: '10' } });
      const outcome = await t.client.chat.send.mutate({ newSession: true, content: '/long 500' });
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'timeout' }, message: { status: 'failed' } });
      expect(outcome.message.content.length).toBeGreaterThan(0);
      expect(await t.client.runs.get.query({ runId: outcome.runId })).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
    });

    it('on SIGTERM stops accepting, lets short runs finish within the grace period, interrupts the rest, exits 0', async () => {
      // LOG_LEVEL info: the server says when it has begun shutting down.
      await using t = await startProcessTarget({ dialect, environment: { THREADLINE_LOCAL_DELAY_MS: '10', THREADLINE_SHUTDOWN_GRACE_MS: '1500', LOG_LEVEL: 'info' } });
      let streaming = 0;
      let bothStreaming: () => void = () => {};
      const ready = new Promise<void>((resolve) => (bothStreaming = resolve));
      const onEvent = (event: ReceivedEvent) => {
        if (Number(event.id) === 3 && ++streaming === 2) bothStreaming();
      };
      const short = collectEvents((handlers) => t.client.chat.stream.subscribe({ newSession: true, content: '/long 30', requestId: randomUUID() }, handlers), onEvent);
      const long = collectEvents((handlers) => t.client.chat.stream.subscribe({ newSession: true, content: '/long 3000', requestId: randomUUID() }, handlers), onEvent);
      await ready;
      const exitCode = t.process.stop('SIGTERM');
      await expect.poll(() => t.process.stdout().includes('"msg":"shutting down"')).toBe(true);
      await expect(t.client.chat.send.mutate({ content: 'too late' })).rejects.toBeTruthy();
      expect((await short).events.at(-1)!.data.type).toBe('run-finish');
      const longEvents = (await long).events;
      expect(longEvents.at(-1)!.data).toMatchObject({ type: 'run-error', code: 'interrupted', retryable: true });
      expect(await exitCode).toBe(0);

      await using again = await startServerProcess({ dataDir: t.database.dataDir, databaseUrl: t.database.databaseUrl });
      const client = createThreadlineClient({ url: again.url, token: again.token });
      const { sessionId, runId } = startOf(longEvents);
      expect(await client.runs.get.query({ runId })).toMatchObject({ status: 'interrupted', error: { code: 'interrupted' } });
      const { messages } = await client.sessions.history.query({ sessionId });
      expect(messages[1]).toMatchObject({ role: 'assistant', status: 'interrupted', content: textOf(longEvents) });
    });
  });
}
