import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { UserLimitDefaults } from '../config.js';
import { tooMany } from '../errors.js';
import type { Database } from '../store/database.js';
import { findUserLimits } from '../store/user-limits.js';
import { type LeaseSet, MemoryLeaseSet, RedisLeaseSet } from './lease-set.js';
import { effectiveLimits, type UserLimits } from './user-limits.js';

/** A limit that refused something: what observability counts (`UserLimiter.onRefusal`). */
export interface LimitRefusal {
  userId: string;
  limit: keyof UserLimits;
  /** The limit's value for that user. */
  value: number;
  retryAfterMs: number;
}

export interface UserLimiterOptions {
  db: Kysely<Database>;
  defaults: UserLimitDefaults;
  /** With several instances: the Redis every instance shares (counters and leases live there). */
  redis?: Redis;
  keyPrefix: string;
  /** A lease not renewed for this long (its instance died) is free again, ms. */
  leaseTtlMs: number;
  logger: Logger;
}

/** What a holder gives back when done (idempotent). */
export type Release = () => void;

const WINDOW_SECONDS = 60;
const messages: Record<'requestsPerMinute' | 'runsPerMinute' | 'activeRuns' | 'openStreams', (value: number) => string> = {
  requestsPerMinute: (value) => `too many requests: your limit is ${value} a minute`,
  runsPerMinute: (value) => `too many runs started: your limit is ${value} a minute`,
  activeRuns: (value) => `too many active runs: your limit is ${value} at once; send more once some have ended`,
  openStreams: (value) => `too many open streams: your limit is ${value} at once; close one first`,
};

/**
 * Every user's rate and concurrency limits: requests and runs started per minute (rate-limiter-
 * flexible, in Redis with REDIS_URL so every instance counts against one budget, in memory
 * otherwise), active runs and open streams at once (leases: see LeaseSet). A refusal throws
 * TOO_MANY_REQUESTS with `retryAfterMs` and is reported to `onRefusal` listeners.
 */
export class UserLimiter {
  private readonly rates = new Map<string, RateLimiterAbstract>();
  private readonly leases: LeaseSet;
  /** Leases this instance holds, renewed until released: holder → key. */
  private readonly held = new Map<string, string>();
  private readonly cache = new Map<string, { limits: Promise<UserLimits>; until: number }>();
  private readonly listeners: ((refusal: LimitRefusal) => void)[] = [];
  private readonly renewer: NodeJS.Timeout;

  constructor(private readonly options: UserLimiterOptions) {
    this.leases = options.redis ? new RedisLeaseSet(options.redis, `${options.keyPrefix}:limit:`) : new MemoryLeaseSet();
    this.renewer = setInterval(() => this.renew(), Math.max(50, Math.floor(options.leaseTtlMs / 3)));
    this.renewer.unref();
  }

  /** Tells `listener` of every refusal (metrics count them there). */
  onRefusal(listener: (refusal: LimitRefusal) => void): void {
    this.listeners.push(listener);
  }

  /** The user's limits: the overrides stored for them over the defaults, cached for `defaults.cacheMs`. */
  limitsOf(userId: string): Promise<UserLimits> {
    const now = Date.now();
    const cached = this.cache.get(userId);
    if (cached && cached.until > now) return cached.limits;
    const limits = findUserLimits(this.options.db, userId).then((overrides) => effectiveLimits(this.options.defaults, overrides));
    // A failed read is not kept: the next request asks again.
    limits.catch(() => this.cache.delete(userId));
    this.cache.set(userId, { limits, until: now + this.options.defaults.cacheMs });
    if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    return limits;
  }

  /** Counts one request of the user; refuses it past their requests per minute. */
  async countRequest(userId: string): Promise<void> {
    await this.consume('requestsPerMinute', userId);
  }

  /** Counts one run started by the user; refuses it past their runs per minute. */
  async countRunStart(userId: string): Promise<void> {
    await this.consume('runsPerMinute', userId);
  }

  /** Holds one of the user's active runs until released; refused at their limit. */
  holdActiveRun(userId: string): Promise<Release> {
    return this.hold('activeRuns', userId);
  }

  /** Holds one of the user's open streams until released; refused at their limit. */
  holdStream(userId: string): Promise<Release> {
    return this.hold('openStreams', userId);
  }

  /** Stops renewing leases (the process is stopping; what it held expires). */
  close(): void {
    clearInterval(this.renewer);
  }

  private async consume(limit: 'requestsPerMinute' | 'runsPerMinute', userId: string): Promise<void> {
    const value = (await this.limitsOf(userId))[limit];
    if (value <= 0) return;
    try {
      await this.rateLimiter(limit, value).consume(userId);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        // The store failed (the insurance limiter failed too): let the request through rather than refuse everyone.
        this.options.logger.warn({ err: rejection, limit }, 'limits: the rate counter could not be read; request allowed');
        return;
      }
      this.refuse({ userId, limit, value, retryAfterMs: rejection.msBeforeNext });
    }
  }

  private rateLimiter(limit: string, points: number): RateLimiterAbstract {
    const id = `${limit}:${points}`;
    let limiter = this.rates.get(id);
    if (!limiter) {
      // Every limiter of one kind shares its keys, so a user's count survives a change of their limit (in Redis).
      const keyPrefix = `${this.options.keyPrefix}:limit:${limit}`;
      const memory = new RateLimiterMemory({ points, duration: WINDOW_SECONDS, keyPrefix });
      limiter = this.options.redis
        ? new RateLimiterRedis({ storeClient: this.options.redis, points, duration: WINDOW_SECONDS, keyPrefix, insuranceLimiter: memory, rejectIfRedisNotReady: true })
        : memory;
      this.rates.set(id, limiter);
    }
    return limiter;
  }

  private async hold(limit: 'activeRuns' | 'openStreams', userId: string): Promise<Release> {
    const value = (await this.limitsOf(userId))[limit];
    if (value <= 0) return () => {};
    const key = `${limit}:${userId}`;
    const holder = randomUUID();
    let attempt;
    try {
      attempt = await this.leases.take(key, holder, value, this.options.leaseTtlMs);
    } catch (error) {
      this.options.logger.warn({ err: error, limit }, 'limits: the lease store could not be reached; allowed without a lease');
      return () => {};
    }
    if (!attempt.taken) this.refuse({ userId, limit, value, retryAfterMs: limit === 'activeRuns' ? 1_000 : Math.min(attempt.retryAfterMs, 1_000) });
    this.held.set(holder, key);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.delete(holder);
      this.leases.release(key, holder).catch((error) => this.options.logger.warn({ err: error, limit }, 'limits: a lease could not be released; it expires by itself'));
    };
  }

  /** The one place a limit refuses: listeners hear of it, then the caller gets TOO_MANY_REQUESTS. */
  private refuse(refusal: LimitRefusal): never {
    for (const listener of this.listeners) listener(refusal);
    this.options.logger.info({ userId: refusal.userId, limit: refusal.limit, value: refusal.value, retryAfterMs: refusal.retryAfterMs }, 'limit reached: request refused');
    throw tooMany(messages[refusal.limit as keyof typeof messages](refusal.value), refusal.retryAfterMs);
  }

  private renew(): void {
    if (this.held.size === 0) return;
    const leases = [...this.held].map(([holder, key]) => ({ key, holder }));
    this.leases.renew(leases, this.options.leaseTtlMs).catch((error) => this.options.logger.warn({ err: error }, 'limits: leases could not be renewed'));
  }
}
