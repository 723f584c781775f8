import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../client/src/client.js';
import { createTestDatabase, DIALECTS } from '../server/src/testing/databases.js';
import { freePort, startServerProcess } from './helpers/process.js';
import { collectEvents, textOf, type ReceivedEvent } from './helpers/stream.js';

/** Resolves with the run's id when `count` events of the stream have arrived. */
function after(count: number) {
  let reached: (runId: string) => void = () => {};
  const promise = new Promise<string>((resolve) => (reached = resolve));
  return { promise, onEvent: (_: ReceivedEvent, events: ReceivedEvent[]) => events.length >= count && reached((events[0]!.data as { runId: string }).runId) };
}

for (const dialect of DIALECTS) {
  describe(`crash recovery on ${dialect}`, () => {
    it('after SIGKILL mid-run, at start and while queued: nothing committed is lost, no run stays running, partials are kept, waiting readers get a terminal event', async () => {
      await using database = await createTestDatabase(dialect);
      const port = String(await freePort());
      const environment = { PORT: port, THREADLINE_CHECKPOINT_MS: '50', THREADLINE_CONCURRENCY_LOCAL: '2', THREADLINE_LOCAL_DELAY_MS: '10' };
      const options = { dataDir: database.dataDir, databaseUrl: database.databaseUrl, environment };
      const first = await startServerProcess(options);
      const client = createThreadlineClient({ url: first.url, token: first.token });

      // Committed before the crash: a finished exchange.
      const done = await client.chat.send.mutate({ newSession: { title: 'finished' }, content: 'safe and sound' });
      // Streaming when killed: 40 events in, checkpointed every 50 ms.
      const streaming = after(40);
      const streamed = collectEvents((handlers) => client.chat.stream.subscribe({ newSession: true, content: '/long 5000', requestId: randomUUID() }, handlers), streaming.onEvent);
      const streamingRunId = await streaming.promise;
      // Just started: no token yet (10 s to the first word).
      const started = after(1);
      const slow = collectEvents((handlers) => client.chat.stream.subscribe({ newSession: true, content: '/slow 10000 /long 5', requestId: randomUUID() }, handlers), started.onEvent);
      await started.promise;
      // Queued behind the two above (concurrency 2).
      const queued = after(2);
      const waiting = collectEvents((handlers) => client.chat.stream.subscribe({ newSession: true, content: 'waiting my turn', requestId: randomUUID() }, handlers), queued.onEvent);
      await queued.promise;
      // A checkpoint of the streaming answer is stored (it sets firstTokenAt): the partial a crash must keep.
      await expect.poll(async () => (await client.runs.get.query({ runId: streamingRunId })).firstTokenAt).not.toBeNull();

      first.kill();
      await first[Symbol.asyncDispose]();

      if (dialect === 'sqlite') {
        const file = new SQLite(join(database.dataDir, 'threadline.db'));
        expect(file.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(file.prepare("select count(*) as n from runs where status in ('queued', 'running')").get()).toEqual({ n: 3 });
        file.close();
      }

      // Same port: the readers above reconnect by themselves with their lastEventId.
      await using second = await startServerProcess(options);
      const [streamedResult, slowResult, waitingResult] = await Promise.all([streamed, slow, waiting]);
      for (const { events } of [streamedResult, slowResult, waitingResult]) {
        expect(events.at(-1)!.data).toMatchObject({ type: 'run-error', code: 'interrupted', retryable: true });
        expect(events.map((event) => Number(event.id))).toEqual(events.map((_, index) => index + 1));
      }

      const after2 = createThreadlineClient({ url: second.url, token: first.token });
      const history = await after2.sessions.history.query({ sessionId: done.sessionId! });
      expect(history.messages.map((message) => [message.role, message.content, message.status])).toEqual([
        ['user', 'safe and sound', 'complete'],
        ['assistant', 'Echo: safe and sound', 'complete'],
      ]);

      const sessionOf = (events: ReceivedEvent[]) => (events[0]!.data as { sessionId: string; runId: string });
      // The streaming run: its partial answer up to the last checkpoint, marked interrupted.
      const partial = await after2.sessions.history.query({ sessionId: sessionOf(streamedResult.events).sessionId });
      expect(partial.messages.map((message) => [message.role, message.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'interrupted'],
      ]);
      const kept = partial.messages[1]!.content;
      expect(kept.length).toBeGreaterThan(0);
      expect(textOf(streamedResult.events).startsWith(kept)).toBe(true);
      const stored = streamedResult.events.find((event) => event.data.type === 'message-end')!.data as { message: { content: string } };
      expect(stored.message.content).toBe(kept);

      // The run that had not produced a token: the user's message stays, no empty answer.
      expect((await after2.sessions.history.query({ sessionId: sessionOf(slowResult.events).sessionId })).messages.map((message) => message.role)).toEqual(['user']);
      // The queued run never began: its user message is stored all the same.
      const queuedHistory = await after2.sessions.history.query({ sessionId: sessionOf(waitingResult.events).sessionId });
      expect(queuedHistory.messages.map((message) => [message.role, message.content])).toEqual([['user', 'waiting my turn']]);

      for (const { events } of [streamedResult, slowResult, waitingResult]) {
        expect(await after2.runs.get.query({ runId: sessionOf(events).runId })).toMatchObject({ status: 'interrupted', error: { code: 'interrupted' } });
      }
      expect((await after2.sessions.list.query()).items).toHaveLength(4);
      expect((await after2.system.status.query()).activeRuns).toBe(0);
    }, 90_000);
  });
}
