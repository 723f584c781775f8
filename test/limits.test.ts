import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../client/src/client.js';
import { loadConfig } from '../server/src/config.js';
import { startServer } from '../server/src/main.js';
import { userLimitsCommand } from '../server/src/operator/user-limits-command.js';
import { createToken, createUser } from '../server/src/store/users.js';
import { createTestDatabase } from '../server/src/testing/databases.js';
import { errorOf } from './helpers/errors.js';
import { startTestServer } from './helpers/server.js';
import { collectEvents } from './helpers/stream.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;

/** Limits read from the store at every call, so a change made by the operator's command shows at once. */
const fresh = { THREADLINE_LIMITS_CACHE_MS: '0' };

describe('per-user rate and concurrency limits', () => {
  it('a burst over the requests per minute is refused with TOO_MANY_REQUESTS, retryAfterMs and Retry-After; an unlimited user beside is not', async () => {
    await using t = await startTestServer({ environment: { ...fresh, THREADLINE_LIMIT_REQUESTS_PER_MINUTE: '5' } });
    const { client: unlimited } = await t.addUser('operator-bot');
    await userLimitsCommand(t.server.services.db, t.server.services.config.userLimits, 'operator-bot', { requestsPerMinute: '0' });

    const answers = await Promise.allSettled(Array.from({ length: 8 }, () => t.client.sessions.list.query()));
    expect(answers.filter((answer) => answer.status === 'fulfilled')).toHaveLength(5);
    const refused = await errorOf(t.client.sessions.list.query());
    expect(refused).toMatchObject({ code: 'TOO_MANY_REQUESTS', httpStatus: 429 });
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(refused.message).toMatch(/5 a minute/);

    const response = await fetch(`${t.url}/trpc/sessions.list`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);

    // The user whose limit is 0 (unlimited) goes on, and so would any other user with their own budget.
    const burst = await Promise.all(Array.from({ length: 20 }, () => unlimited.sessions.list.query()));
    expect(burst).toHaveLength(20);
    const { client: other } = await t.addUser('bob');
    await expect(other.sessions.list.query()).resolves.toBeDefined();
  });

  it('runs started per minute and runs active at once refuse a new run without touching the running one', async () => {
    await using t = await startTestServer({ environment: { ...fresh, THREADLINE_LIMIT_ACTIVE_RUNS: '1', THREADLINE_LIMIT_RUNS_PER_MINUTE: '3' } });
    const running = t.client.chat.send.mutate({ newSession: true, content: '/slow 20 /long 30' });
    await expect.poll(async () => (await t.client.system.status.query()).activeRuns, { timeout: 10_000 }).toBe(1);
    const refused = await errorOf(t.client.chat.send.mutate({ newSession: true, content: 'a second one at once' }));
    expect(refused.code).toBe('TOO_MANY_REQUESTS');
    expect(refused.message).toMatch(/active runs/);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    // The refused run left no record, and the running one answers in full.
    expect((await running).status).toBe('completed');
    expect((await running).message.content.split(' ')).toHaveLength(30);
    expect((await t.client.runs.list.query()).items).toHaveLength(1);

    // Its end gave the hold back: the next run starts; then the third start in the minute is the last.
    expect((await t.client.chat.send.mutate({ content: 'two' })).status).toBe('completed');
    expect((await t.client.chat.send.mutate({ content: 'three' })).status).toBe('completed');
    const tooFast = await errorOf(t.client.chat.send.mutate({ content: 'four' }));
    expect(tooFast.code).toBe('TOO_MANY_REQUESTS');
    expect(tooFast.message).toMatch(/runs started/);

    // An operator's override for one user: raised, it applies at once (cache 0 here).
    await userLimitsCommand(t.server.services.db, t.server.services.config.userLimits, 'local', { runsPerMinute: '10' });
    expect((await t.client.chat.send.mutate({ content: 'five' })).status).toBe('completed');
  });

  it('open streams at once: a stream over the limit is refused, and the run it would follow goes on', async () => {
    await using t = await startTestServer({ environment: { ...fresh, THREADLINE_LIMIT_OPEN_STREAMS: '1' } });
    let runId = '';
    const first = collectEvents(
      (handlers) => t.client.chat.stream.subscribe({ newSession: true, content: '/slow 20 /long 40', requestId: randomUUID() }, handlers),
      (event) => event.data.type === 'run-start' && (runId = event.data.runId),
    );
    await expect.poll(() => runId, { timeout: 10_000 }).not.toBe('');
    const second = await collectEvents((handlers) => t.client.runs.events.subscribe({ runId }, handlers));
    expect(second.events).toEqual([]);
    expect((second.error as { data?: { code?: string; retryAfterMs?: number } }).data).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect((second.error as { data: { retryAfterMs: number } }).data.retryAfterMs).toBeGreaterThan(0);
    // The run was not cancelled: the first stream sees it to its end.
    expect((await first).events.at(-1)!.data.type).toBe('run-finish');
    // The first stream closed: its hold is free again.
    await expect
      .poll(async () => (await collectEvents((handlers) => t.client.runs.events.subscribe({ runId }, handlers))).events.at(-1)?.data.type, { timeout: 10_000 })
      .toBe('run-finish');
    // A plain HTTP stream over the limit is told when to come back too.
    const hold = collectEvents((handlers) => t.client.chat.stream.subscribe({ content: '/slow 20 /long 40', requestId: randomUUID() }, handlers));
    await expect.poll(async () => (await t.client.system.status.query()).activeRuns, { timeout: 10_000 }).toBe(1);
    const input = encodeURIComponent(JSON.stringify(superjson.serialize({ runId })));
    const response = await fetch(`${t.url}/trpc/runs.events?input=${input}`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await response.text()).toContain('TOO_MANY_REQUESTS');
    await hold;
  });
});

// Two instances on one PostgreSQL and Redis: CI sets both (.ci/run).
describe.skipIf(!databaseUrl || !redisUrl)('limits shared by several instances through Redis', () => {
  it('two instances count one budget of requests and one set of active runs per user', async () => {
    await using database = await createTestDatabase('postgres');
    const otherDataDir = await mkdtemp(join(tmpdir(), 'threadline-instance-'));
    const environment = {
      PORT: '0',
      LOG_LEVEL: 'silent',
      THREADLINE_LOCAL_DELAY_MS: '0',
      DATABASE_URL: database.databaseUrl!,
      REDIS_URL: redisUrl!,
      THREADLINE_REDIS_PREFIX: `threadline-test-${randomUUID()}`,
      THREADLINE_LIMIT_REQUESTS_PER_MINUTE: '6',
      THREADLINE_LIMIT_ACTIVE_RUNS: '1',
      THREADLINE_LIMITS_CACHE_MS: '0',
    };
    const a = await startServer(loadConfig({ ...environment, THREADLINE_DATA_DIR: database.dataDir }));
    const b = await startServer(loadConfig({ ...environment, THREADLINE_DATA_DIR: otherDataDir }));
    try {
      const onA = createThreadlineClient({ url: a.url, token: a.firstToken! });
      const onB = createThreadlineClient({ url: b.url, token: a.firstToken! });
      // Requests: 6 a minute in all, whichever instance they reach.
      const answers = await Promise.allSettled([...Array.from({ length: 4 }, () => onA.sessions.list.query()), ...Array.from({ length: 4 }, () => onB.sessions.list.query())]);
      expect(answers.filter((answer) => answer.status === 'fulfilled')).toHaveLength(6);
      expect((await errorOf(onB.sessions.list.query())).code).toBe('TOO_MANY_REQUESTS');

      // Active runs: another user (requests unlimited for them) holds their only one on A; B refuses a second.
      const bob = await createUser(a.services.db, 'bob');
      const { token } = await createToken(a.services.db, bob.id, 'test');
      await userLimitsCommand(a.services.db, a.services.config.userLimits, 'bob', { requestsPerMinute: '0' });
      const bobOnA = createThreadlineClient({ url: a.url, token });
      const bobOnB = createThreadlineClient({ url: b.url, token });
      const running = bobOnA.chat.send.mutate({ newSession: true, content: '/slow 30 /long 20' });
      await expect.poll(async () => (await bobOnA.runs.list.query({ status: ['running'] })).items.length, { timeout: 10_000 }).toBe(1);
      const refused = await errorOf(bobOnB.chat.send.mutate({ newSession: true, content: 'elsewhere' }));
      expect(refused.code).toBe('TOO_MANY_REQUESTS');
      expect(refused.message).toMatch(/active runs/);
      expect((await running).status).toBe('completed');
      // Its end on A freed the hold for B.
      expect((await bobOnB.chat.send.mutate({ newSession: true, content: 'now' })).status).toBe('completed');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await rm(otherDataDir, { recursive: true, force: true });
    }
  });
});
