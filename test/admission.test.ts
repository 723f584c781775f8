import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ThreadlineClient } from '../client/src/client.js';
import { DIALECTS } from '../server/src/testing/databases.js';
import { runCli, startProcessTarget } from './helpers/process.js';
import { collectEvents, type ReceivedEvent } from './helpers/stream.js';

/** Starts a stateless streamed run and resolves once it has reported something (queued or a token). */
function startRun(client: ThreadlineClient, content: string, priority?: number) {
  let runId = '';
  let announce: () => void = () => {};
  const announced = new Promise<void>((resolve) => (announce = resolve));
  const done = collectEvents(
    (handlers) => client.chat.stream.subscribe({ content, requestId: randomUUID(), ...(priority ? { priority } : {}) }, handlers),
    (event) => {
      if (event.data.type === 'run-start') runId = event.data.runId;
      if (event.data.type === 'run-queued' || event.data.type === 'text-delta') announce();
    },
  );
  return { done, announced, runId: () => runId };
}

const positions = (events: ReceivedEvent[]) => events.flatMap((event) => (event.data.type === 'run-queued' ? [event.data.position] : []));

for (const dialect of DIALECTS) {
  describe(`admission queue on ${dialect}`, () => {
    it('limits runs per provider, admits by priority, is fair between users, reports positions and queue depth', async () => {
      await using t = await startProcessTarget({ dialect, environment: { THREADLINE_CONCURRENCY_LOCAL: '1' } });
      const bob = await runCli(['user', 'create', 'bob'], { dataDir: t.database.dataDir, databaseUrl: t.database.databaseUrl });
      const bobClient = t.clientFor(bob.stdout.trim());

      // The blocker must outlast the queue being built behind it, one subscription at a time (3 s).
      const blocker = startRun(t.client, '/slow 120 /long 25');
      await blocker.announced;
      const alice1 = startRun(t.client, '/slow 2 /long 3 a1');
      await alice1.announced;
      const alice2 = startRun(t.client, '/slow 2 /long 3 a2');
      await alice2.announced;
      const alice3 = startRun(t.client, '/slow 2 /long 3 a3');
      await alice3.announced;
      const bob1 = startRun(bobClient, '/slow 2 /long 3 b1');
      await bob1.announced;
      const urgent = startRun(t.client, '/slow 2 /long 3 urgent', 1);
      await urgent.announced;

      const status = await t.client.system.status.query();
      expect(status.queues).toContainEqual({ provider: 'local', running: 1, queued: 5, limit: 1 });
      // The caller's own runs beside the anonymous totals (how many users are active is for operators).
      expect(status).toMatchObject({ activeRuns: 1, queuedRuns: 5, own: { running: 1, queued: 4, waiting: 0 } });

      const runs = [blocker, alice1, alice2, alice3, bob1, urgent];
      const results = await Promise.all(runs.map((run) => run.done));
      for (const { events } of results) expect(events.at(-1)!.data.type).toBe('run-finish');
      const started = await Promise.all(
        runs.map(async (run, index) => {
          const client = index === 4 ? bobClient : t.client;
          return (await client.runs.get.query({ runId: run.runId() })).startedAt!.getTime();
        }),
      );
      const order = started.map((time, index) => ({ time, name: ['blocker', 'a1', 'a2', 'a3', 'b1', 'urgent'][index]! })).sort((a, b) => a.time - b.time);
      // Priority 1 first; then bob (no run of his executing) before alice's burst; then alice in order.
      expect(order.map((entry) => entry.name)).toEqual(['blocker', 'urgent', 'b1', 'a1', 'a2', 'a3']);

      // Positions move as others join ahead and leave: alice's third run went 3 → 4 (bob) → 5 (urgent) → ... → 1.
      expect(positions(results[3]!.events)).toEqual([3, 4, 5, 4, 3, 2, 1]);
      expect(positions(results[4]!.events)).toEqual([1, 2, 1]);
      expect(positions(results[0]!.events)).toEqual([]);
    });

    it('a cancelled queued run leaves the queue at once and never starts', async () => {
      await using t = await startProcessTarget({ dialect, environment: { THREADLINE_CONCURRENCY_LOCAL: '1' } });
      // Running until the queued run has been cancelled (3 s).
      const blocker = startRun(t.client, '/slow 150 /long 20');
      await blocker.announced;
      const doomed = startRun(t.client, 'never');
      await doomed.announced;
      const next = startRun(t.client, 'after');
      await next.announced;
      const cancelled = await t.client.runs.cancel.mutate({ runId: doomed.runId() });
      expect(cancelled).toMatchObject({ status: 'cancelled', startedAt: null });
      expect((await doomed.done).events.at(-1)!.data.type).toBe('run-cancel');
      expect(await t.client.runs.cancel.mutate({ runId: doomed.runId() })).toEqual(cancelled);
      const { events } = await next.done;
      expect(positions(events)).toEqual([2, 1]);
      expect(events.at(-1)!.data.type).toBe('run-finish');
      expect((await blocker.done).events.at(-1)!.data.type).toBe('run-finish');
    });
  });
}
