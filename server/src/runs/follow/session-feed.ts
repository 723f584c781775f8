import type { Logger } from 'pino';
import type { Cluster } from '../../cluster/index.js';
import type { RunEventLog } from '../../events/index.js';

/** Told the id of every new run of a session. */
export type SessionRunListener = (runId: string) => void;

/**
 * Who hears that a session has a new run: followers of that session in this process, and, with
 * several instances, those of every other instance (through the cluster's channel, sent once the
 * run's first event can be read there). A follower also looks in the store, so a notice lost on
 * the way costs it latency, never a run.
 */
export class SessionFeed {
  private readonly listeners = new Map<string, Set<SessionRunListener>>();

  constructor(
    private readonly log: RunEventLog,
    private readonly logger: Logger,
    private readonly cluster?: Cluster,
  ) {}

  /** Listens for the session's new runs until the returned function is called. */
  listen(sessionId: string, listener: SessionRunListener): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }

  /** A run of the session started here (its `run-start` is in the log). */
  announce(sessionId: string, runId: string): void {
    this.receive(sessionId, runId);
    if (!this.cluster) return;
    const cluster = this.cluster;
    // Published once the run's events are in Redis, so a follower elsewhere finds them.
    void (async () => {
      await this.log.flush?.();
      await cluster.publish({ op: 'run-started', sessionId, runId });
    })().catch((error) => this.logger.warn({ err: error, runId }, 'could not tell the other instances about a new run'));
  }

  /** A run of the session started (here or on another instance). */
  receive(sessionId: string, runId: string): void {
    for (const listener of this.listeners.get(sessionId) ?? []) listener(runId);
  }

  /** Followers listening now, over all sessions (for leak checks). */
  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }
}
