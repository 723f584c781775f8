import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type LeaseSet, MemoryLeaseSet, RedisLeaseSet } from './lease-set.js';

const REDIS_URL = process.env.TEST_REDIS_URL;
const redis = REDIS_URL ? new Redis(REDIS_URL) : undefined;
const prefix = `threadline-test-${randomUUID()}:`;
afterAll(async () => {
  if (!redis) return;
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const kinds: [string, () => LeaseSet][] = [['memory', () => new MemoryLeaseSet()]];
if (redis) kinds.push(['redis', () => new RedisLeaseSet(redis, prefix)]);

describe.each(kinds)('%s leases', (_, make) => {
  it('hold up to the limit; a release frees one; a holder taking again keeps its own', async () => {
    const leases = make();
    const key = `k-${randomUUID()}`;
    expect(await leases.take(key, 'a', 2, 10_000)).toEqual({ taken: true });
    expect(await leases.take(key, 'b', 2, 10_000)).toEqual({ taken: true });
    expect(await leases.take(key, 'a', 2, 10_000)).toEqual({ taken: true });
    const refused = await leases.take(key, 'c', 2, 10_000);
    expect(refused).toMatchObject({ taken: false, held: 2 });
    expect(refused.taken === false && refused.retryAfterMs).toBeGreaterThan(0);
    await leases.release(key, 'a');
    expect(await leases.take(key, 'c', 2, 10_000)).toEqual({ taken: true });
    // Another key (another user) has its own.
    expect(await leases.take(`${key}-other`, 'd', 1, 10_000)).toEqual({ taken: true });
  });

  it('a lease not renewed (its instance died) expires; a renewed one stays', async () => {
    const leases = make();
    const key = `k-${randomUUID()}`;
    expect(await leases.take(key, 'renewed', 2, 100)).toEqual({ taken: true });
    expect(await leases.take(key, 'crashed', 2, 100)).toEqual({ taken: true });
    expect((await leases.take(key, 'new', 2, 100)).taken).toBe(false);
    await leases.renew([{ key, holder: 'renewed' }], 60_000);
    await sleep(200);
    // 'crashed' expired; 'renewed' holds: one place is free, not two.
    expect(await leases.take(key, 'new', 2, 60_000)).toEqual({ taken: true });
    expect((await leases.take(key, 'another', 2, 60_000)).taken).toBe(false);
    // A released lease is not brought back by a renewal racing it.
    await leases.release(key, 'new');
    await leases.renew([{ key, holder: 'new' }], 60_000);
    expect(await leases.take(key, 'another', 2, 60_000)).toEqual({ taken: true });
  });
});
