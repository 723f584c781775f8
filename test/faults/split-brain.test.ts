import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../../client/src/client.js';
import { createTestDatabase } from '../../server/src/testing/databases.js';
import { startServerProcess } from '../helpers/process.js';
import { collectEvents, type ReceivedEvent } from '../helpers/stream.js';
import { startTcpFaultProxy } from '../helpers/tcp-fault-proxy.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;
const TTL_MS = 1000;
const STREAMS = 8;

/** Resolves once a stream has delivered `count` events. */
function after(count: number) {
  let reached: () => void = () => {};
  const promise = new Promise<void>((resolve) => (reached = resolve));
  return { promise, onEvent: (_: ReceivedEvent, events: ReceivedEvent[]) => events.length >= count && reached() };
}

describe.skipIf(!databaseUrl || !redisUrl)('fault: split brain (one instance cut from Redis, not from the database)', () => {
  it('the cut instance lets go of its runs before the other takes them over: one outcome per run, never two answers, never interrupted then completed', async () => {
    await using database = await createTestDatabase('postgres');
    const redis = new URL(redisUrl!);
    await using proxy = await startTcpFaultProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    const prefix = `threadline-test-${randomUUID()}`;
    const common = { THREADLINE_REDIS_PREFIX: prefix, THREADLINE_INSTANCE_TTL_MS: String(TTL_MS), THREADLINE_CHECKPOINT_MS: '50', LOG_LEVEL: 'warn' };
    // A reaches Redis through the proxy; B directly.
    const a = await startServerProcess({ dataDir: database.dataDir, databaseUrl: database.databaseUrl, environment: { ...common, REDIS_URL: proxy.urlFor(redisUrl!) } });
    const otherDir = await mkdtemp(join(tmpdir(), 'threadline-instance-'));
    await copyFile(join(database.dataDir, 'token'), join(otherDir, 'token'));
    const b = await startServerProcess({ dataDir: otherDir, databaseUrl: database.databaseUrl, environment: { ...common, REDIS_URL: redisUrl! } });
    try {
      const clientA = createThreadlineClient({ url: a.url, token: a.token });
      // Eight slow answers streaming from A (about 10 s each if nothing happens).
      const streams = Array.from({ length: STREAMS }, () => {
        const started = after(5);
        const done = collectEvents((handlers) => clientA.chat.stream.subscribe({ newSession: true, content: '/slow 50 /long 200', requestId: randomUUID() }, handlers), started.onEvent);
        return { started: started.promise, done };
      });
      await Promise.all(streams.map((stream) => stream.started));

      proxy.cut();
      // While A cannot vouch for its lease it starts nothing.
      await expect.poll(async () => clientA.chat.send.mutate({ content: 'hello?' }).then(() => 'accepted', (error: { data?: { code?: string } }) => error.data?.code), { timeout: 10_000, interval: 100 }).toBe('SERVICE_UNAVAILABLE');
      // Longer than the TTL: B sees A dead and sweeps.
      await new Promise((resolve) => setTimeout(resolve, 3 * TTL_MS));
      proxy.restore();

      const results = await Promise.all(streams.map((stream) => stream.done));
      const runIds = results.map(({ events }) => (events[0]!.data as { runId: string }).runId);
      for (const { events } of results) {
        expect(events.at(-1)!.data).toMatchObject({ type: 'run-error', code: 'interrupted' });
        expect(events.filter((event) => event.data.type === 'run-finish')).toHaveLength(0);
      }
      // A takes runs again once its heartbeat gets through.
      await expect.poll(async () => clientA.chat.send.mutate({ content: 'back' }).then((answer) => answer.status, () => 'refused'), { timeout: 10_000, interval: 200 }).toBe('completed');

      // Whatever either instance does later, each run keeps one outcome and one answer.
      await new Promise((resolve) => setTimeout(resolve, 2 * TTL_MS));
      const admin = new pg.Client({ connectionString: database.databaseUrl });
      await admin.connect();
      try {
        const runs = await admin.query<{ id: string; status: string; session_id: string }>('select id, status, session_id from runs where id = any($1)', [runIds]);
        expect(runs.rows.map((run) => run.status)).toEqual(runIds.map(() => 'interrupted'));
        for (const run of runs.rows) {
          const answers = await admin.query<{ status: string; content: string }>("select status, content from messages where run_id = $1 and role = 'assistant'", [run.id]);
          expect(answers.rows, `run ${run.id}`).toHaveLength(1);
          expect(answers.rows[0]!.status).toBe('interrupted');
          expect(answers.rows[0]!.content.split(' ').length).toBeLessThan(200);
        }
      } finally {
        await admin.end();
      }
    } finally {
      a.kill();
      b.kill();
      await Promise.all([a[Symbol.asyncDispose](), b[Symbol.asyncDispose]()]);
      await rm(otherDir, { recursive: true, force: true });
    }
  }, 90_000);
});
