import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { serverSource } from '../audit/actors.js';
import { AUDIT_ACTIONS, recordAudit } from '../store/audit.js';
import type { Database } from '../store/database.js';
import { acquireLease } from '../store/leases.js';
import type { DialectName } from '../store/open.js';
import { deletedRows, prune, type PruneSummary, type RetentionPolicy } from './prune.js';

/** The lease the retention timer takes: whoever holds it prunes for that interval. */
export const RETENTION_LEASE = 'retention';

/** What the retention timer needs. */
export interface RetentionTimerOptions {
  db: Kysely<Database>;
  dialect: DialectName;
  policy: RetentionPolicy;
  /** How often the policy is applied, ms. */
  intervalMs: number;
  batchSize: number;
  /** This instance's id: the lease's holder, and the audit trail's actor. */
  instanceId: string;
  logger: Logger;
}

/** True when the policy deletes anything at all. */
export function hasRetention(policy: RetentionPolicy): boolean {
  return policy.archivedSessionsMs !== undefined || policy.sessionsMs !== undefined || policy.runsMs !== undefined;
}

/**
 * Applies the retention policy in the server, about once per interval for all the instances on one
 * database: an instance prunes only when it takes the `retention` lease (in the database, so it
 * works on both dialects, with or without Redis), which lasts the interval and is not given back.
 * Several instances pruning at once would be safe (every delete checks its conditions again in its
 * transaction) but would do the work, and write the audit entry, several times.
 */
export class RetentionTimer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly stopping = new AbortController();
  private readonly listeners: ((summary: PruneSummary) => void)[] = [];
  /** The last prune's summary on this instance. */
  last: PruneSummary | undefined;

  constructor(private readonly options: RetentionTimerOptions) {}

  /** Checks for the lease soon after the start, then every interval (at most every minute). */
  start(): void {
    if (!hasRetention(this.options.policy)) return;
    const checkMs = Math.min(this.options.intervalMs, 60_000);
    const tick = () => {
      this.running ??= this.runOnce().finally(() => (this.running = undefined));
      this.timer = setTimeout(tick, checkMs);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, Math.min(checkMs, 5_000));
    this.timer.unref();
  }

  /** One check: takes the lease if it is free and prunes. Resolves to the summary, or undefined when another instance holds it. */
  async runOnce(): Promise<PruneSummary | undefined> {
    const { db, dialect, policy, intervalMs, batchSize, instanceId, logger } = this.options;
    try {
      if (!(await acquireLease(db, RETENTION_LEASE, instanceId, intervalMs))) return undefined;
      const summary = await prune(db, { policy, dialect, batchSize, signal: this.stopping.signal });
      this.last = summary;
      for (const listener of this.listeners) listener(summary);
      if (deletedRows(summary) > 0) {
        logger.info({ prune: summary }, 'retention: pruned');
        // A prune that deleted nothing is not recorded: the trail would grow by one entry an hour for nothing.
        await recordAudit(db, { ...serverSource(instanceId), action: AUDIT_ACTIONS.retentionPrune, details: { ...summary } });
      } else {
        logger.debug({ prune: summary }, 'retention: nothing to prune');
      }
      return summary;
    } catch (error) {
      logger.warn({ err: error }, 'retention: the prune failed; the next interval tries again');
      return undefined;
    }
  }

  /** Tells `listener` every prune's summary on this instance (metrics: counts by kind, duration). */
  onPrune(listener: (summary: PruneSummary) => void): void {
    this.listeners.push(listener);
  }

  /** Stops the timer and any prune between two batches; resolves when it has stopped. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.stopping.abort();
    await this.running;
  }
}
