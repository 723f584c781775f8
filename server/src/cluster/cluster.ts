import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { displayUrl } from '../url-credentials.js';

/** What one instance asks the instance holding a run to do. */
export const ClusterCommand = z.discriminatedUnion('op', [
  z.object({ op: z.literal('cancel'), runId: z.string(), reason: z.string() }),
  z.object({
    op: z.literal('decide'),
    runId: z.string(),
    decision: z.object({ approved: z.boolean(), callIds: z.array(z.string()).optional(), reason: z.string().optional(), always: z.boolean().optional() }),
  }),
  /** Not a command but a notice to every instance: a session has a new run (its followers look). */
  z.object({ op: z.literal('run-started'), sessionId: z.string(), runId: z.string() }),
]);
export type ClusterCommand = z.infer<typeof ClusterCommand>;

export interface ClusterOptions {
  url: string;
  /** This instance's id, stored as the owner of the runs it holds. */
  instanceId: string;
  /** An instance whose heartbeat is older than this is dead: its runs are taken over, ms. */
  ttlMs: number;
  keyPrefix?: string;
  logger: Logger;
}

/** What an instance does when its lease on its runs lapses, and when it holds again. */
export interface LeaseListener {
  lost(): void;
  regained(): void;
}

/**
 * Several Threadline instances on one database, through Redis: each keeps a heartbeat key alive
 * (so the others know which runs' owners are gone) and listens on one channel for commands about
 * the runs it holds (cancel, approval decisions) sent by the instance a request happened to reach.
 */
export class Cluster {
  private readonly heartbeat: NodeJS.Timeout;
  private readonly prefix: string;
  private handler: ((command: ClusterCommand) => void) | undefined;
  private leaseListener: LeaseListener | undefined;
  /** When a heartbeat last reached Redis. */
  private lastBeat = Date.now();
  private leaseLost = false;

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly options: ClusterOptions,
  ) {
    this.prefix = options.keyPrefix ?? 'threadline';
    this.heartbeat = setInterval(() => {
      void this.beat();
      this.checkLease();
    }, Math.max(50, Math.floor(options.ttlMs / 3)));
    this.heartbeat.unref();
    subscriber.on('message', (_channel: string, message: string) => this.receive(message));
  }

  /** Connects, announces this instance alive and subscribes to commands. */
  static async connect(options: ClusterOptions): Promise<Cluster> {
    // A heartbeat that cannot get through within a third of the TTL counts as missed, whether Redis is down or only silent.
    const redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2, commandTimeout: Math.max(50, Math.floor(options.ttlMs / 3)) });
    const subscriber = redis.duplicate();
    try {
      await Promise.all([redis.connect(), subscriber.connect()]);
      const cluster = new Cluster(redis, subscriber, options);
      await cluster.beat();
      await subscriber.subscribe(cluster.channel());
      return cluster;
    } catch (error) {
      redis.disconnect();
      subscriber.disconnect();
      throw new Error(`cannot reach Redis at ${displayUrl(options.url)}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The connection to the shared Redis, for other state every instance shares (the per-user limits). */
  get connection(): Redis {
    return this.redis;
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  /** True while the instance's heartbeat is fresh (always for this one). */
  async isAlive(instanceId: string): Promise<boolean> {
    if (instanceId === this.instanceId) return true;
    return (await this.redis.exists(this.instanceKey(instanceId))) === 1;
  }

  /** Sends a command to whichever instance holds its run. */
  async publish(command: ClusterCommand): Promise<void> {
    await this.redis.publish(this.channel(), JSON.stringify(command));
  }

  /** Where commands for the runs this instance holds go. */
  onCommand(handler: (command: ClusterCommand) => void): void {
    this.handler = handler;
  }

  /**
   * Told when this instance's lease lapses (no heartbeat reached Redis for two thirds of the TTL:
   * the others are about to take its runs over, so it must stop writing them) and when a heartbeat
   * gets through again.
   */
  onLease(listener: LeaseListener): void {
    this.leaseListener = listener;
  }

  /** Stops the heartbeat and removes it, so the others take over at once; closes the connections. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.redis.del(this.instanceKey(this.instanceId)).catch(() => 0);
    await Promise.allSettled([this.subscriber.quit(), this.redis.quit()]);
  }

  private async beat(): Promise<void> {
    const sentAt = Date.now();
    try {
      await this.redis.set(this.instanceKey(this.instanceId), String(sentAt), 'PX', this.options.ttlMs);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'cluster heartbeat failed');
      return;
    }
    // The key lives ttlMs from when it was sent, not from when the answer came.
    this.lastBeat = Math.max(this.lastBeat, sentAt);
    if (this.leaseLost) {
      this.leaseLost = false;
      this.options.logger.warn('cluster heartbeat gets through again: this instance takes runs again');
      this.leaseListener?.regained();
    }
  }

  private checkLease(): void {
    if (this.leaseLost || Date.now() - this.lastBeat < (this.options.ttlMs * 2) / 3) return;
    this.leaseLost = true;
    this.options.logger.error({ lastHeartbeatMsAgo: Date.now() - this.lastBeat }, 'cluster heartbeat lapsed: this instance stops its runs before others take them over');
    this.leaseListener?.lost();
  }

  private receive(message: string): void {
    let command: ClusterCommand;
    try {
      command = ClusterCommand.parse(JSON.parse(message));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'ignored a malformed cluster command');
      return;
    }
    this.handler?.(command);
  }

  private channel(): string {
    return `${this.prefix}:control`;
  }

  private instanceKey(instanceId: string): string {
    return `${this.prefix}:instance:${instanceId}`;
  }
}
