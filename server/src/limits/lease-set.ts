import type { Redis } from 'ioredis';

/** The answer to an attempt to take a lease: taken, or when one may be free again. */
export type LeaseAttempt = { taken: true } | { taken: false; held: number; retryAfterMs: number };

/**
 * Counted leases for limits on things held at once (a user's active runs, open streams): each
 * holder takes a lease that expires unless it is renewed, so what a crashed instance held frees
 * itself after `ttlMs`. The rate limiter library counts events in windows; it has no lease that
 * outlives its holder's crash, so this is the one piece of counting written here.
 */
export interface LeaseSet {
  /** Takes a lease for `holder` under `key` when fewer than `limit` live ones are held there. */
  take(key: string, holder: string, limit: number, ttlMs: number): Promise<LeaseAttempt>;
  /** Extends the leases of these holders under their keys (the holder is alive). */
  renew(leases: { key: string; holder: string }[], ttlMs: number): Promise<void>;
  /** Gives a lease back. */
  release(key: string, holder: string): Promise<void>;
}

/** Leases of one instance, in memory. */
export class MemoryLeaseSet implements LeaseSet {
  private readonly keys = new Map<string, Map<string, number>>();

  async take(key: string, holder: string, limit: number, ttlMs: number): Promise<LeaseAttempt> {
    const now = Date.now();
    const leases = this.live(key, now);
    if (!leases.has(holder) && leases.size >= limit) return { taken: false, held: leases.size, retryAfterMs: Math.max(1, Math.min(...leases.values()) - now) };
    leases.set(holder, now + ttlMs);
    this.keys.set(key, leases);
    return { taken: true };
  }

  async renew(leases: { key: string; holder: string }[], ttlMs: number): Promise<void> {
    const until = Date.now() + ttlMs;
    for (const { key, holder } of leases) if (this.keys.get(key)?.has(holder)) this.keys.get(key)!.set(holder, until);
  }

  async release(key: string, holder: string): Promise<void> {
    const leases = this.keys.get(key);
    leases?.delete(holder);
    if (leases?.size === 0) this.keys.delete(key);
  }

  private live(key: string, now: number): Map<string, number> {
    const leases = this.keys.get(key) ?? new Map<string, number>();
    for (const [holder, until] of leases) if (until <= now) leases.delete(holder);
    return leases;
  }
}

/**
 * Take, atomically: drop expired leases, then add the holder's if the set has room (a holder that
 * has one renews it); the set itself expires with its last lease. Scores are expiry times in Redis's own clock, so instances' clocks do not matter.
 * Returns {1} when taken, else {0, held, ms until the first lease expires}.
 */
const TAKE = `
local now = redis.call('time')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('zremrangebyscore', KEYS[1], '-inf', nowMs)
local held = redis.call('zcard', KEYS[1])
if redis.call('zscore', KEYS[1], ARGV[1]) or held < tonumber(ARGV[2]) then
  redis.call('zadd', KEYS[1], nowMs + tonumber(ARGV[3]), ARGV[1])
  local last = redis.call('zrange', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('pexpireat', KEYS[1], tonumber(last[2]))
  return {1}
end
local first = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES')
return {0, held, tonumber(first[2]) - nowMs}
`;

/** Renew: only leases that still exist (a released or expired one stays gone). */
const RENEW = `
local now = redis.call('time')
local untilMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[1])
for index = 1, #KEYS do
  redis.call('zadd', KEYS[index], 'XX', untilMs, ARGV[index + 1])
  local last = redis.call('zrange', KEYS[index], -1, -1, 'WITHSCORES')
  if last[2] then redis.call('pexpireat', KEYS[index], tonumber(last[2])) end
end
return 1
`;

/** Leases shared by every instance on one Redis: a sorted set per key, holders scored by expiry. */
export class RedisLeaseSet implements LeaseSet {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async take(key: string, holder: string, limit: number, ttlMs: number): Promise<LeaseAttempt> {
    // Not connected now: fail at once rather than queue behind a reconnect (the caller allows the hold).
    if (this.redis.status !== 'ready') throw new Error(`redis is ${this.redis.status}`);
    const answer = (await this.redis.eval(TAKE, 1, this.prefix + key, holder, limit, ttlMs)) as number[];
    if (answer[0] === 1) return { taken: true };
    return { taken: false, held: Number(answer[1]), retryAfterMs: Math.max(1, Number(answer[2])) };
  }

  async renew(leases: { key: string; holder: string }[], ttlMs: number): Promise<void> {
    if (leases.length === 0) return;
    await this.redis.eval(RENEW, leases.length, ...leases.map((lease) => this.prefix + lease.key), ttlMs, ...leases.map((lease) => lease.holder));
  }

  async release(key: string, holder: string): Promise<void> {
    await this.redis.zrem(this.prefix + key, holder);
  }
}
