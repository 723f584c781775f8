/**
 * Run events on their way to readers: the event log interface (append first, then fan out;
 * replay after an id, then follow live), kept in memory for one instance or in Redis Streams for
 * several, readers that push to a sink as well as being pulled (pushing.ts), and the coalescer
 * that merges text deltas arriving within one tick into one event.
 */
export * from './delta-coalescer.js';
export * from './event-log.js';
export * from './pushing.js';
// Redis's log (and its client, ioredis) is loaded by services.ts only when REDIS_URL is set.
export type { RedisEventLog, RedisEventLogOptions } from './redis-event-log.js';
