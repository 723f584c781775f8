import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { UserLimitDefaults } from '../config.js';
import { DomainError } from '../errors.js';
import { openTestStore } from '../testing/databases.js';
import { type LimitRefusal, UserLimiter } from './user-limiter.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
const defaults: UserLimitDefaults = { requestsPerMinute: 3, runsPerMinute: 0, activeRuns: 1, openStreams: 0, tokensPerDay: 0, tokensPerMonth: 0, costPerMonth: 0, cacheMs: 60_000 };

// Two limiters on one Redis are two instances; closing one without releasing is its crash.
describe.skipIf(!REDIS_URL)('UserLimiter on Redis', () => {
  it("counts one budget for two instances, and a crashed instance's hold lapses after the lease time", async () => {
    await using store = await openTestStore('sqlite');
    const keyPrefix = `threadline-test-${randomUUID()}`;
    const [redisA, redisB] = [new Redis(REDIS_URL!), new Redis(REDIS_URL!)];
    // Connected, as the cluster's connection is before the limiter gets it (not connected, it counts in memory).
    await Promise.all([redisA.ping(), redisB.ping()]);
    const logger = pino({ level: 'silent' });
    const a = new UserLimiter({ db: store.db, defaults, redis: redisA, keyPrefix, leaseTtlMs: 600, logger });
    const b = new UserLimiter({ db: store.db, defaults, redis: redisB, keyPrefix, leaseTtlMs: 600, logger });
    const refusals: LimitRefusal[] = [];
    b.onRefusal((refusal) => refusals.push(refusal));
    try {
      await a.countRequest('u1');
      await b.countRequest('u1');
      await a.countRequest('u1');
      const refused = await b.countRequest('u1').catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DomainError);
      expect(refused).toMatchObject({ kind: 'too_many' });
      expect((refused as DomainError).retryAfterMs).toBeGreaterThan(0);
      expect(refusals).toEqual([expect.objectContaining({ userId: 'u1', limit: 'requestsPerMinute', value: 3 })]);
      // Another user has a budget of their own.
      await b.countRequest('u2');

      // A holds u1's only active run: B is refused.
      await a.holdActiveRun('u1');
      await expect(b.holdActiveRun('u1')).rejects.toMatchObject({ kind: 'too_many' });
      // A crashes (stops renewing, releases nothing): its hold lapses after the lease time, and B may take it.
      a.close();
      await sleep(700);
      const release = await b.holdActiveRun('u1');
      release();
      (await b.holdActiveRun('u1'))();
    } finally {
      a.close();
      b.close();
      const keys = await redisA.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redisA.del(...keys);
      redisA.disconnect();
      redisB.disconnect();
    }
  });
});
