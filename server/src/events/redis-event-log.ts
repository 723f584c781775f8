import { isTerminalEvent, type StreamEvent } from '@threadline/shared';
import { Redis, type ChainableCommander } from 'ioredis';
import type { Logger } from 'pino';
import superjson from 'superjson';
import { InMemoryEventLog, type LoggedEvent, type RunEventLog } from './event-log.js';

/** How a `RedisEventLog` connects and how long it keeps ended runs. */
export interface RedisEventLogOptions {
  /** The Redis server, e.g. `redis://127.0.0.1:6379`. */
  url: string;
  /** How long a run's events stay readable after its terminal event, ms (in memory and in Redis). */
  retentionMs: number;
  /** Ended runs' events kept in this process's memory, in all, bytes (Redis keeps them for `retentionMs`). */
  maxEndedBytes?: number;
  /** Prefix of every key: a run's stream is `${keyPrefix}:run:${runId}:events`. Default `threadline`. */
  keyPrefix?: string;
  /** Where write and connection errors go (they never reach the run). */
  logger: Logger;
  /**
   * How long one blocking read of a remote reader waits before it checks that the run's stream
   * still exists, ms. A stream that expired or was deleted ends its readers at most this late.
   * Default 2000.
   */
  blockMs?: number;
  /** The name the log's connections give themselves (CLIENT SETNAME), to find them in CLIENT LIST. Default `threadline-event-log`. */
  connectionName?: string;
}

/** A reader of a run this process does not hold; its connection exists only while it blocks for live events. */
interface RemoteReader {
  connection?: Redis;
}

type StreamEntry = [id: string, fields: string[]];

/** Entries read per XRANGE / XREAD call. */
const PAGE = 500;
const EVENT_FIELD = 'e';

/**
 * The event log shared by several instances, in Redis Streams: one stream per run, one entry per
 * event with the explicit id `${id}-0` and the superjson of the event in field `e` (so Dates come
 * back as Dates). Runs this process writes are held in an `InMemoryEventLog` as well: ids are
 * assigned synchronously, local readers read memory, and each append is written to Redis in order
 * on one connection without being awaited. Any instance can follow any run: from memory when it
 * holds the run, else from Redis (backlog with XRANGE, then XREAD BLOCK on a connection of the
 * reader's own, closed when the reader ends). A stream expires `retentionMs` after its terminal
 * event; an open run's stream does not expire.
 */
export class RedisEventLog implements RunEventLog {
  private readonly local: InMemoryEventLog;
  private readonly redis: Redis;
  private readonly remoteReaders = new Set<RemoteReader>();
  /** Writes sent and not yet answered. */
  private readonly writes = new Set<Promise<void>>();
  private readonly retentionMs: number;
  private readonly keyPrefix: string;
  private readonly logger: Logger;
  private readonly blockMs: number;
  private closed = false;

  constructor(options: RedisEventLogOptions) {
    this.retentionMs = options.retentionMs;
    this.keyPrefix = options.keyPrefix ?? 'threadline';
    this.logger = options.logger;
    this.blockMs = options.blockMs ?? 2000;
    this.local = new InMemoryEventLog(options.retentionMs, options.maxEndedBytes);
    this.redis = new Redis(options.url, { connectionName: options.connectionName ?? 'threadline-event-log' });
    this.redis.on('error', (error: Error) => this.logger.warn({ err: error }, 'event log: Redis connection error'));
  }

  /** The key of a run's stream. */
  key(runId: string): string {
    return `${this.keyPrefix}:run:${runId}:events`;
  }

  /**
   * Starts a run's log here, and in Redis replaces whatever the run's stream held with exactly
   * `earlier` (a run resumed after a restart). A run this process already holds is left as it is.
   */
  open(runId: string, earlier: LoggedEvent[] = []): void {
    if (this.local.holds(runId)) return;
    this.local.open(runId, earlier);
    const key = this.key(runId);
    this.write(runId, () => {
      const transaction = this.redis.multi().del(key);
      for (const { id, event } of earlier) transaction.xadd(key, entryId(id), EVENT_FIELD, serialize(event));
      return transaction;
    });
  }

  append(runId: string, event: StreamEvent): LoggedEvent {
    const logged = this.local.append(runId, event);
    const key = this.key(runId);
    this.write(runId, () => {
      const transaction = this.redis.multi().xadd(key, entryId(logged.id), EVENT_FIELD, serialize(event));
      return isTerminalEvent(event) ? transaction.pexpire(key, this.retentionMs) : transaction;
    });
    return logged;
  }

  /**
   * Appends `event` to a run no instance holds any more (its owner died), with the id after the
   * stream's last one, and sets the expiry when it is terminal. Returns undefined, appending
   * nothing, when the stream does not exist or already ended with a terminal event.
   * Only one writer may do this for a run, and not while its owner still appends: the caller
   * guarantees it by claiming the run in the database first. (A racing write with the same id
   * fails instead of duplicating it: this rejects, or the owner logs an error.)
   */
  async appendRemote(runId: string, event: StreamEvent): Promise<LoggedEvent | undefined> {
    if (this.local.holds(runId)) throw new Error(`run ${runId} is held by this instance: use append`);
    const key = this.key(runId);
    const previous = await this.lastEvent(key);
    if (!previous || isTerminalEvent(previous.event)) return undefined;
    const id = previous.id + 1;
    const transaction = this.redis.multi().xadd(key, 'NOMKSTREAM', entryId(id), EVENT_FIELD, serialize(event));
    if (isTerminalEvent(event)) transaction.pexpire(key, this.retentionMs);
    const [added] = await execTransaction(transaction);
    return added === null ? undefined : { id, event };
  }

  /** The events of a run this process holds (a remote run's are in Redis only). */
  snapshot(runId: string): LoggedEvent[] {
    return this.local.snapshot(runId);
  }

  async has(runId: string): Promise<boolean> {
    return this.local.holds(runId) || (await this.redis.exists(this.key(runId))) === 1;
  }

  follow(runId: string, afterId: number, signal: AbortSignal): AsyncIterable<LoggedEvent> {
    return this.local.holds(runId) ? this.local.follow(runId, afterId, signal) : this.followRemote(runId, afterId, signal);
  }

  /** Resolves once every write issued so far has landed in Redis or been logged as failed (`append` does not wait). */
  async flush(): Promise<void> {
    await Promise.all(this.writes);
  }

  endedMemory(): number {
    return this.local.endedMemory();
  }

  readerCount(): number {
    return this.local.readerCount() + this.remoteReaders.size;
  }

  /** Drops the local logs, ends every remote reader and closes every connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.local.close();
    for (const reader of this.remoteReaders) reader.connection?.disconnect();
    await this.flush();
    await this.redis.quit();
  }

  /** The stream's last event, or undefined when the stream does not exist. */
  private async lastEvent(key: string): Promise<LoggedEvent | undefined> {
    const [entry] = (await this.redis.xrevrange(key, '+', '-', 'COUNT', 1)) as StreamEntry[];
    return entry && parseEntry(entry);
  }

  /** True when the stream is gone, or ended with a terminal event the reader (at `last`) has had. */
  private async endedBefore(key: string, last: number): Promise<boolean> {
    const logged = await this.lastEvent(key);
    return !logged || (logged.id <= last && isTerminalEvent(logged.event));
  }

  /** Sends a transaction built now (so it keeps its place in the connection's order); errors are logged, never thrown. */
  private write(runId: string, build: () => ChainableCommander): void {
    let transaction: ChainableCommander;
    try {
      transaction = build();
    } catch (error) {
      this.logger.error({ err: error, runId }, 'event log: an event could not be serialized for Redis');
      return;
    }
    const written: Promise<void> = execTransaction(transaction)
      .then(
        () => undefined,
        (error: unknown) => this.logger.error({ err: error, runId }, 'event log: writing to Redis failed'),
      )
      .then(() => void this.writes.delete(written));
    this.writes.add(written);
  }

  /**
   * Reads a run from Redis: the backlog in pages on the shared connection (an ended run needs no
   * connection of its own), then live entries with XREAD BLOCK on a dedicated connection that an
   * abort disconnects, so the reader ends at once.
   */
  private async *followRemote(runId: string, afterId: number, signal: AbortSignal): AsyncGenerator<LoggedEvent> {
    const key = this.key(runId);
    const reader: RemoteReader = {};
    const stop = () => reader.connection?.disconnect();
    this.remoteReaders.add(reader);
    signal.addEventListener('abort', stop);
    const ending = () => signal.aborted || this.closed;
    let last = afterId;
    try {
      for (;;) {
        if (ending()) return;
        const page = (await this.redis.xrange(key, entryId(last + 1), '+', 'COUNT', PAGE)) as StreamEntry[];
        for (const entry of page) {
          const logged = parseEntry(entry);
          last = logged.id;
          yield logged;
          if (isTerminalEvent(logged.event) || ending()) return;
        }
        if (page.length < PAGE) break;
      }
      if (ending() || (await this.endedBefore(key, last))) return;
      const connection = this.redis.duplicate();
      connection.on('error', (error: Error) => this.logger.debug({ err: error, runId }, 'event log: reader connection error'));
      reader.connection = connection;
      while (!ending()) {
        const reply = (await connection.xread('COUNT', PAGE, 'BLOCK', this.blockMs, 'STREAMS', key, entryId(last))) as [string, StreamEntry[]][] | null;
        if (!reply) {
          if ((await connection.exists(key)) === 0) return;
          continue;
        }
        for (const entry of reply[0]![1]) {
          const logged = parseEntry(entry);
          last = logged.id;
          yield logged;
          if (isTerminalEvent(logged.event) || ending()) return;
        }
      }
    } catch (error) {
      if (!ending()) throw error;
    } finally {
      signal.removeEventListener('abort', stop);
      this.remoteReaders.delete(reader);
      reader.connection?.disconnect();
    }
  }
}

/** The stream entry id of event `id`. */
function entryId(id: number): string {
  return `${id}-0`;
}

function serialize(event: StreamEvent): string {
  return superjson.stringify(event);
}

function parseEntry([id, fields]: StreamEntry): LoggedEvent {
  for (let index = 0; index < fields.length; index += 2) {
    if (fields[index] === EVENT_FIELD) return { id: Number.parseInt(id, 10), event: superjson.parse<StreamEvent>(fields[index + 1]!) };
  }
  throw new Error(`stream entry ${id} has no event`);
}

/** Runs a MULTI transaction; rejects with the first command's error (EXEC reports them per command). */
async function execTransaction(transaction: ChainableCommander): Promise<unknown[]> {
  const results = await transaction.exec();
  if (!results) throw new Error('the Redis transaction was discarded');
  const failed = results.find(([error]) => error);
  if (failed) throw failed[0];
  return results.map(([, result]) => result);
}
