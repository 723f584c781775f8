import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StreamEvent } from '@threadline/shared';
import { Redis } from 'ioredis';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { REACTION_MS } from '../../../test/helpers/patience.js';
import { InMemoryEventLog, type LoggedEvent } from './event-log.js';
import { RedisEventLog, type RedisEventLogOptions } from './redis-event-log.js';

// Needs Redis: CI sets TEST_REDIS_URL (.ci/run); without it these tests are skipped, as the PostgreSQL ones are.
const REDIS_URL = process.env.TEST_REDIS_URL ?? '';
const RETENTION_MS = 60_000;

/**
 * Two logs on one unique key prefix, standing in for two server processes, plus an admin
 * connection to look inside Redis. Disposing closes them all and deletes the prefix's keys.
 */
async function twoInstances({ expectErrors = false, ...options }: Partial<RedisEventLogOptions> & { expectErrors?: boolean } = {}) {
  const prefix = `test:${randomUUID()}`;
  const connectionName = `event-log-test-${randomUUID()}`;
  const errors: unknown[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => errors.push(JSON.parse(line)) });
  const logs: RedisEventLog[] = [];
  const instance = () => {
    const log = new RedisEventLog({ url: REDIS_URL, retentionMs: RETENTION_MS, keyPrefix: prefix, logger, connectionName, ...options });
    logs.push(log);
    return log;
  };
  const admin = new Redis(REDIS_URL);
  const owner = instance();
  const other = instance();
  return {
    owner,
    other,
    admin,
    errors,
    /** Another process on the same prefix (a restarted owner, a third instance). */
    instance,
    key: (runId: string) => owner.key(runId),
    /** A run the owner has begun (its run-start is in Redis), and the connection count then. */
    async startedRun(): Promise<{ runId: string; baseline: number }> {
      const runId = randomUUID();
      owner.open(runId);
      owner.append(runId, runEvents(runId)[0]!);
      await owner.flush();
      return { runId, baseline: await this.connections() };
    },
    /** How many connections the logs have open, as Redis sees them. */
    async connections(): Promise<number> {
      const list = (await admin.call('CLIENT', 'LIST')) as string;
      return list.split('\n').filter((line) => line.includes(` name=${connectionName} `)).length;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(logs.map((log) => log.close()));
      if (errors.length > 0 && !expectErrors) throw new Error(`errors were logged: ${JSON.stringify(errors)}`);
      const keys = await admin.keys(`${prefix}:*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    },
  };
}

async function collect(events: AsyncIterable<LoggedEvent>): Promise<LoggedEvent[]> {
  const collected: LoggedEvent[] = [];
  for await (const logged of events) collected.push(logged);
  return collected;
}

const createdAt = new Date('2026-01-02T03:04:05.678Z');
const runEvents = (runId: string): StreamEvent[] => [
  { type: 'run-start', runId, sessionId: null, sessionCreated: false, agent: 'assistant', model: 'local/echo' },
  { type: 'text-delta', delta: 'Hel' },
  { type: 'text-delta', delta: 'lo' },
  { type: 'tool-call', callId: 'call-1', name: 'clock', input: { zone: 'UTC', nested: [1, null, { deep: true }] } },
  { type: 'tool-result', callId: 'call-1', output: { now: '03:04' }, isError: false },
  {
    type: 'message-end',
    message: { id: randomUUID(), sessionId: null, runId, role: 'assistant', content: 'Hello', parts: [{ type: 'text', text: 'Hello' }], agent: 'assistant', model: 'local/echo', usage: null, status: 'complete', createdAt },
  },
  { type: 'run-finish', usage: { inputTokens: 3, outputTokens: 2 }, finishReason: 'stop', durationMs: 12 },
];

describe.skipIf(!REDIS_URL)('RedisEventLog', () => {
  it("serves the owner's events to another instance: same ids, same values (Dates as Dates), ending after the terminal event", async () => {
    await using redis = await twoInstances();
    const runId = randomUUID();
    redis.owner.open(runId);
    for (const event of runEvents(runId)) redis.owner.append(runId, event);
    await redis.owner.flush();

    const all = await collect(redis.other.follow(runId, 0, new AbortController().signal));
    expect(all).toEqual(redis.owner.snapshot(runId));
    expect(all.map((logged) => logged.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const end = all[5]!.event;
    expect(end.type === 'message-end' && end.message.createdAt).toBeInstanceOf(Date);
    expect(end.type === 'message-end' && end.message.createdAt.getTime()).toBe(createdAt.getTime());

    expect(await collect(redis.other.follow(runId, 4, new AbortController().signal))).toEqual(all.slice(4));
    expect(await collect(redis.other.follow(runId, 7, new AbortController().signal))).toEqual([]);
    expect(redis.other.readerCount()).toBe(0);
    expect(redis.errors).toEqual([]);
  });

  it('delivers live events to a remote reader that subscribed before them, in order, without gaps or repeats', async () => {
    await using redis = await twoInstances();
    const { runId, baseline } = await redis.startedRun();
    const received = collect(redis.other.follow(runId, 0, new AbortController().signal));
    await expect.poll(() => redis.connections()).toBe(baseline + 1); // blocking for live events now

    for (let index = 0; index < 60; index++) {
      redis.owner.append(runId, { type: 'text-delta', delta: `${index} ` });
      if (index % 3 === 0) await sleep(2);
    }
    redis.owner.append(runId, { type: 'run-cancel', reason: 'enough' });
    const all = await received;
    expect(all.map((logged) => logged.id)).toEqual(Array.from({ length: 62 }, (_, index) => index + 1));
    expect(all).toEqual(redis.owner.snapshot(runId));
    await expect.poll(() => redis.connections()).toBe(baseline);
  });

  it('ends a remote reader promptly on abort, and 200 aborted readers leave no connection behind', async () => {
    await using redis = await twoInstances({ blockMs: 5000 });
    const { runId, baseline } = await redis.startedRun();

    const controller = new AbortController();
    const iterator = redis.other.follow(runId, 0, controller.signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ id: 1 });
    const pending = iterator.next();
    await expect.poll(() => redis.connections()).toBe(baseline + 1);
    const abortedAt = Date.now();
    controller.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    // At once, not when the 5 s block ends.
    expect(Date.now() - abortedAt).toBeLessThan(REACTION_MS);

    const follows = (count: number) => {
      const controllers = Array.from({ length: count }, () => new AbortController());
      const readers = controllers.map((each) => collect(redis.other.follow(runId, 0, each.signal)));
      return { controllers, done: Promise.all(readers) };
    };
    const blocking = follows(200);
    await expect.poll(() => redis.connections()).toBe(baseline + 200);
    expect(redis.other.readerCount()).toBe(200);
    blocking.controllers.forEach((each) => each.abort());
    expect((await blocking.done).every((events) => events.length === 1)).toBe(true);
    expect(redis.other.readerCount()).toBe(0);
    await expect.poll(() => redis.connections()).toBe(baseline);

    // Aborted at every stage: before the backlog, while connecting, while blocking.
    const racing = follows(200);
    racing.controllers.forEach((each, index) => setTimeout(() => each.abort(), index % 40));
    await racing.done;
    expect(redis.other.readerCount()).toBe(0);
    await expect.poll(() => redis.connections()).toBe(baseline);
  });

  it('closes the connections of remote readers when the log closes', async () => {
    await using redis = await twoInstances();
    const { runId, baseline } = await redis.startedRun();
    const readers = Array.from({ length: 5 }, () => collect(redis.other.follow(runId, 0, new AbortController().signal)));
    await expect.poll(() => redis.connections()).toBe(baseline + 5);
    await redis.other.close();
    expect((await Promise.all(readers)).map((events) => events.length)).toEqual([1, 1, 1, 1, 1]);
    expect(redis.other.readerCount()).toBe(0);
    await expect.poll(() => redis.connections()).toBe(baseline - 1); // its own connection too
  });

  it('ends a remote reader when the stream disappears', async () => {
    await using redis = await twoInstances({ blockMs: 100 });
    const runId = randomUUID();
    redis.owner.open(runId);
    redis.owner.append(runId, runEvents(runId)[0]!);
    await redis.owner.flush();
    const baseline = await redis.connections();
    const received = collect(redis.other.follow(runId, 0, new AbortController().signal));
    await expect.poll(() => redis.connections()).toBe(baseline + 1); // read the first event, blocking for more
    await redis.admin.del(redis.key(runId));
    expect(await received).toHaveLength(1);
  });

  it('has: on any instance while the stream exists; the stream expires retentionMs after the terminal event only', async () => {
    await using redis = await twoInstances();
    const runId = randomUUID();
    expect(await redis.other.has(runId)).toBe(false);
    redis.owner.open(runId);
    expect(await redis.owner.has(runId)).toBe(true);
    const [start, ...rest] = runEvents(runId);
    redis.owner.append(runId, start!);
    await redis.owner.flush();
    expect(await redis.other.has(runId)).toBe(true);
    expect(await redis.other.has(randomUUID())).toBe(false);
    for (const event of rest.slice(0, -1)) redis.owner.append(runId, event);
    await redis.owner.flush();
    expect(await redis.admin.pttl(redis.key(runId))).toBe(-1);

    redis.owner.append(runId, rest.at(-1)!);
    await redis.owner.flush();
    const ttl = await redis.admin.pttl(redis.key(runId));
    expect(ttl).toBeGreaterThan(RETENTION_MS - 5000);
    expect(ttl).toBeLessThanOrEqual(RETENTION_MS);
    await redis.admin.del(redis.key(runId));
    expect(await redis.other.has(runId)).toBe(false);
    expect(await redis.owner.has(runId)).toBe(true); // still held in memory within the retention time
  });

  it('open with earlier events replaces the stream with exactly them; later appends go on from the next id', async () => {
    await using redis = await twoInstances();
    const runId = randomUUID();
    const events = runEvents(runId);
    redis.owner.open(runId);
    for (const event of events.slice(0, 5)) redis.owner.append(runId, event);
    await redis.owner.flush();

    const restarted = redis.instance(); // the owner's next process, resuming from a snapshot of 3 events
    const earlier = redis.owner.snapshot(runId).slice(0, 3);
    restarted.open(runId, earlier);
    expect(restarted.append(runId, { type: 'text-delta', delta: ' again' }).id).toBe(4);
    await restarted.flush();
    expect(await redis.admin.xlen(redis.key(runId))).toBe(4);
    const reader = collect(redis.other.follow(runId, 0, new AbortController().signal));
    await sleep(20);
    restarted.append(runId, { type: 'run-cancel', reason: 'stop' });
    expect(await reader).toEqual([...earlier, { id: 4, event: { type: 'text-delta', delta: ' again' } }, { id: 5, event: { type: 'run-cancel', reason: 'stop' } }]);
    expect(await redis.admin.pttl(redis.key(runId))).toBeGreaterThan(0);
  });

  it('appendRemote ends a run whose owner died: next id, expiry on the terminal event; nothing for a missing or ended stream', async () => {
    await using redis = await twoInstances();
    const runId = randomUUID();
    const events = runEvents(runId);
    redis.owner.open(runId);
    for (const event of events.slice(0, 3)) redis.owner.append(runId, event);
    await redis.owner.close(); // the owner dies (its writes were sent)

    const end = events[5]!;
    expect(await redis.other.appendRemote(runId, end)).toEqual({ id: 4, event: end });
    expect(await redis.admin.pttl(redis.key(runId))).toBe(-1);
    const error: StreamEvent = { type: 'run-error', code: 'interrupted', message: 'the server stopped', retryable: true };
    expect(await redis.other.appendRemote(runId, error)).toEqual({ id: 5, event: error });
    const ttl = await redis.admin.pttl(redis.key(runId));
    expect(ttl).toBeGreaterThan(RETENTION_MS - 5000);

    const third = redis.instance();
    const all = await collect(third.follow(runId, 0, new AbortController().signal));
    expect(all.map((logged) => logged.id)).toEqual([1, 2, 3, 4, 5]);
    expect(all.at(-1)!.event).toEqual(error);
    expect(all[3]!.event.type === 'message-end' && all[3]!.event.message.createdAt).toBeInstanceOf(Date);

    expect(await third.appendRemote(runId, error)).toBeUndefined(); // already ended
    expect(await redis.admin.xlen(redis.key(runId))).toBe(5);
    const missing = randomUUID();
    expect(await redis.other.appendRemote(missing, error)).toBeUndefined();
    expect(await redis.admin.exists(redis.key(missing))).toBe(0);
  });

  it('logs a failed write and never throws it into the run', async () => {
    await using redis = await twoInstances({ expectErrors: true });
    const runId = randomUUID();
    redis.owner.open(runId);
    await redis.owner.flush();
    await redis.admin.xadd(redis.key(runId), '100-0', 'e', 'someone else');
    expect(redis.owner.append(runId, runEvents(runId)[0]!)).toMatchObject({ id: 1 });
    await redis.owner.flush();
    expect(redis.errors).toMatchObject([{ level: 50, runId, msg: 'event log: writing to Redis failed' }]);
    expect(redis.owner.snapshot(runId)).toHaveLength(1);
  });

  it('follows a run held here from memory, exactly as InMemoryEventLog does', async () => {
    await using redis = await twoInstances();
    const memory = new InMemoryEventLog(RETENTION_MS);
    const runId = randomUUID();
    const baseline = await redis.connections();
    const readers = [redis.owner, memory].map((log) => {
      log.open(runId);
      log.append(runId, runEvents(runId)[0]!);
      return collect(log.follow(runId, 0, new AbortController().signal));
    });
    const controller = new AbortController();
    const aborted = collect(redis.owner.follow(runId, 1, controller.signal));
    expect(redis.owner.readerCount()).toBe(2);
    for (const event of runEvents(runId).slice(1)) {
      await sleep(1);
      redis.owner.append(runId, event);
      memory.append(runId, event);
      if (event.type === 'tool-call') controller.abort();
    }
    const [fromRedisLog, fromMemory] = await Promise.all(readers);
    expect(fromRedisLog).toEqual(fromMemory);
    expect(fromRedisLog).toHaveLength(7);
    expect((await aborted).length).toBeLessThan(6);
    expect(redis.owner.readerCount()).toBe(0);
    expect(redis.owner.snapshot(runId)).toEqual(memory.snapshot(runId));
    expect(await redis.connections()).toBe(baseline); // local readers open no connection
    expect(() => redis.owner.append(runId, { type: 'text-delta', delta: 'late' })).toThrow(/no open event log/);
    await memory.close();
  });
});
