import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ChatSendOutput, StreamEvent, ToolApproval } from '@threadline/shared';
import type { RunEventLog } from '../../events/index.js';
import type { Database } from '../../store/database.js';
import { deferred, type ActiveRun, type RunPause } from '../active-run.js';
import { assistantMessage, parkRun, resumeRun, updatePause } from '../record/index.js';
import type { AgentOutput, LoopPause, ParkedRun } from '../../store/run-shapes.js';
import type { RunDeadline } from '../scheduling/index.js';
import { applyDecision, isPending, type ApprovalDecision } from './decisions.js';

export interface ApprovalGateDependencies {
  db: Kysely<Database>;
  log: RunEventLog;
  logger: Logger;
  /** Undecided approvals are denied after this long, ms; 0 = never. */
  approvalTimeoutMs: number;
  /** True once the server is stopping: a run that pauses now is parked at once. */
  draining(): boolean;
  /** Parks the run: it stays `waiting` in the store for the next start. */
  park(run: ActiveRun): void;
  /** Waits for a provider slot for the run. */
  acquireSlot(run: ActiveRun): Promise<void>;
}

const EXPIRED = 'no decision came in time';

/**
 * Pauses runs for the user's approvals: announces the calls (`tool-approval`), stores the run as
 * `waiting` with everything it needs to go on (a `ParkedRun`), gives up its provider slot and
 * stops its clock until every call is decided, then takes a slot again. Decisions (`tool-decision`)
 * are stored as they come; calls nobody decides on are denied when the pause expires.
 */
export class ApprovalGate {
  constructor(private readonly deps: ApprovalGateDependencies) {}

  /**
   * The loop's pause at `at`: resolves to the decided approvals once every call is decided; rejects
   * when the run is stopped meanwhile. A run resumed after a restart comes here with its pause
   * already stored (see `restore`).
   */
  async wait(run: ActiveRun, at: LoopPause, output: AgentOutput, deadline: RunDeadline, flush: () => void): Promise<ToolApproval[]> {
    if (!run.pause) {
      const { approvalTimeoutMs } = this.deps;
      const expiresAt = approvalTimeoutMs > 0 ? Date.now() + approvalTimeoutMs : null;
      run.pause = { ...at, expiresAt, decided: deferred(), left: deferred(), stored: false, output, activeMs: 0 };
    }
    const pause = run.pause;
    flush();
    let expiry: NodeJS.Timeout | undefined;
    try {
      run.release?.();
      run.release = undefined;
      deadline.pause();
      pause.activeMs = deadline.activeMs();
      if (!pause.stored) {
        // Stored as waiting first, announced after: a client that hears `tool-approval` finds the run waiting.
        const announcements: StreamEvent[] = pause.approvals.map(({ callId, name, input }) => ({ type: 'tool-approval', callId, name, input }));
        await this.write(run, () => parkRun(this.deps.db, run, this.parked(run, pause, announcements)));
        for (const event of announcements) run.emit(event);
        flush();
        run.observation.approvalAsked(pause.approvals.filter(isPending));
      }
      pause.stored = true;
      const announced = pause.approvals.some(isPending);
      if (announced) run.paused.resolve(this.waitingOutcome(run, output));
      if (this.deps.draining()) this.deps.park(run);
      if (announced && pause.expiresAt !== null) expiry = this.expire(run, pause, pause.expiresAt);
      // Decisions may all be in already (given quickly, or before a restart): then this goes straight on.
      await untilDecided(pause, run.controller.signal);
      if (announced) run.paused = deferred();
      run.pause = undefined;
      await this.write(run, () => resumeRun(this.deps.db, run));
    } finally {
      clearTimeout(expiry);
      pause.left.resolve();
    }
    deadline.resume();
    await this.deps.acquireSlot(run);
    return pause.approvals;
  }

  /** The user decided on some of the run's waiting calls; resolves once stored (after the last one, once the run goes on). */
  async decide(run: ActiveRun, pause: RunPause, decision: ApprovalDecision): Promise<void> {
    await this.apply(run, pause, decision);
    if (!pause.approvals.some(isPending)) await pause.left.promise;
  }

  /** Gives a run resumed after a restart its stored pause. */
  restore(run: ActiveRun, parked: ParkedRun): void {
    const { agent: _agent, model: _model, events: _events, expiresAt, ...pause } = parked;
    run.pause = { ...pause, expiresAt: expiresAt ?? null, decided: deferred(), left: deferred(), stored: true };
    if (!pause.approvals.some(isPending)) run.pause.decided.resolve();
  }

  /** chat.send's answer for a paused run: its partial message (not stored yet) and the calls waiting. */
  waitingOutcome(run: ActiveRun, output: AgentOutput): ChatSendOutput {
    const message = assistantMessage({ id: run.id, sessionId: run.sessionId, agent: run.agent.name, model: run.model }, output, 'waiting');
    return { runId: run.id, sessionId: run.sessionId, status: 'waiting', message, usage: output.usage, error: null, approvals: run.pause?.approvals ?? [] };
  }

  /** Queues a write to the run's record after its earlier ones; it is computed when its turn comes. */
  private write(run: ActiveRun, write: () => Promise<void>): Promise<void> {
    const next = run.writes.then(write);
    run.writes = next.catch(() => {});
    return next;
  }

  /** Records a decision (events, then the stored pause); the last one lets the run go on. */
  private async apply(run: ActiveRun, pause: RunPause, decision: ApprovalDecision): Promise<void> {
    for (const approval of applyDecision(pause.approvals, decision)) {
      run.emit({ type: 'tool-decision', callId: approval.callId, approved: approval.decision === 'approved', reason: approval.reason });
      run.observation.approvalDecided(approval, approval.decision === 'approved', approval.reason ?? undefined);
      // Allowed for good: the rest of the run does not ask again for this tool.
      if (decision.always && approval.decision === 'approved') run.allowedTools.add(approval.name);
    }
    await this.write(run, () => updatePause(this.deps.db, run, this.parked(run, pause)));
    if (!pause.approvals.some(isPending)) pause.decided.resolve();
  }

  /** At `expiresAt`, denies the calls still undecided (the model hears why) so the run goes on. */
  private expire(run: ActiveRun, pause: RunPause, expiresAt: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.apply(run, pause, { approved: false, reason: EXPIRED }).catch((error) => this.deps.logger.error({ err: error, runId: run.id }, 'could not expire approvals'));
    }, Math.max(0, expiresAt - Date.now()));
    timer.unref();
    return timer;
  }

  /** What a waiting run's row keeps: its pause and its events so far, with `upcoming` (about to be emitted) after them. */
  private parked(run: ActiveRun, pause: RunPause, upcoming: StreamEvent[] = []): ParkedRun {
    const { decided: _decided, left: _left, stored: _stored, ...kept } = pause;
    const events = this.deps.log.snapshot(run.id);
    const lastId = events.at(-1)?.id ?? 0;
    for (const [index, event] of upcoming.entries()) events.push({ id: lastId + index + 1, event });
    return { ...kept, agent: run.agent.name, model: run.model, events };
  }
}

/** Resolves when every call of the pause is decided; rejects when the run is stopped meanwhile. */
function untilDecided(pause: RunPause, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void pause.decided.promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
