import type { Kysely } from 'kysely';
import { terminalRunStatuses, type RunStatus } from '@threadline/shared';
import { conflict, DomainError, notFound } from '../errors.js';
import { applyDecision, type ApprovalDecision, isPending } from './approvals/index.js';
import type { Cluster } from '../cluster/index.js';
import type { Database } from '../store/database.js';
import { findRun, unfinishedRunsOfSession, type StoredRun } from '../store/runs.js';

/** How long a request waits for another instance to act on its command, ms. */
const COMMAND_TIMEOUT_MS = 15_000;
const POLL_MS = 50;

const ended = (status: RunStatus) => terminalRunStatuses.includes(status);

/**
 * Runs held by another instance, as the instance a request reached sees them: commands go through
 * the cluster channel, and the answer is read from the store once the holder has acted.
 */
export class RemoteRuns {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly cluster: Cluster,
  ) {}

  /** Cancels the run where it runs; resolves once it is stored as ended. */
  async cancel(row: StoredRun, reason: string): Promise<void> {
    if (ended(row.status)) return;
    await this.cluster.publish({ op: 'cancel', runId: row.id, reason });
    await this.until(row, (current) => ended(current.status), COMMAND_TIMEOUT_MS);
  }

  /**
   * Checks the decision against the stored pause (the same errors as in the holder), sends it, and
   * resolves once the store shows it (after the last decision: once the run is running again).
   */
  async decide(row: StoredRun, decision: ApprovalDecision): Promise<void> {
    if (row.status !== 'waiting') throw conflict(`the run is ${row.status}, not waiting for approval`);
    const approvals = row.approvals;
    const decided = applyDecision(approvals, decision).map((approval) => approval.callId);
    const last = !approvals.some(isPending);
    await this.cluster.publish({ op: 'decide', runId: row.id, decision: { ...decision, callIds: decided } });
    await this.until(
      row,
      (current) => current.status !== 'waiting' || (!last && current.approvals.every((approval) => !decided.includes(approval.callId) || !isPending(approval))),
      COMMAND_TIMEOUT_MS,
    );
  }

  /** The session's unfinished runs that another instance holds. */
  async heldElsewhere(sessionId: string): Promise<StoredRun[]> {
    const rows = await unfinishedRunsOfSession(this.db, sessionId);
    return rows.filter((row) => row.owner !== this.cluster.instanceId);
  }

  /** Cancels runs another instance holds without waiting (a newer message under `interrupt`). */
  async interrupt(rows: StoredRun[], reason: string): Promise<void> {
    await Promise.all(rows.map((row) => this.cluster.publish({ op: 'cancel', runId: row.id, reason })));
  }

  /**
   * Runs of one session execute one after another on every instance: resolves once no unfinished
   * run of the session was queued before this one, reporting how many are ahead when it changes;
   * or when `signal` aborts.
   */
  async untilTurnInSession(runId: string, sessionId: string, signal: AbortSignal, onPosition: (position: number) => void): Promise<void> {
    let announced = 0;
    while (!signal.aborted) {
      const rows = await unfinishedRunsOfSession(this.db, sessionId);
      const ahead = rows.findIndex((row) => row.id === runId);
      if (ahead <= 0) return;
      if (ahead !== announced) onPosition((announced = ahead));
      await new Promise((resolve) => setTimeout(resolve, POLL_MS * 2));
    }
  }

  /** Resolves once the run has ended or waits for approvals (what chat.send answers with). */
  async settled(row: StoredRun): Promise<void> {
    await this.until(row, (current) => current.status !== 'queued' && current.status !== 'running');
  }

  /** Polls the run's row until `done` holds; a holder that does not act in time is an error. */
  private async until(row: StoredRun, done: (current: StoredRun) => boolean, timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await findRun(this.db, row.userId, row.id);
      if (!current) throw notFound('run');
      if (done(current)) return;
      if (Date.now() > deadline) throw new DomainError('unavailable', 'the instance holding this run did not answer in time; try again');
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}
