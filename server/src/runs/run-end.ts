import type { Kysely } from 'kysely';
import type { Message, RunError, RunStatus, StreamEvent } from '@threadline/shared';
import type { Database } from '../store/database.js';
import { insertMessages } from '../store/messages.js';
import { runEnd, updateRun, type RunCheckpoint } from '../store/runs.js';
import { findSession, recordMessages } from '../store/sessions.js';
import type { AgentOutput } from './agent-loop.js';
import { interruptedError, toRunError } from './run-errors.js';

/**
 * Why a run was stopped from outside its model stream. `park`: the server stops while the run waits
 * for approvals; it is left `waiting` in the store for the next start.
 */
export type StopReason = { kind: 'cancel'; reason: string } | { kind: 'shutdown' } | { kind: 'timeout' } | { kind: 'park' };

/** The run's end status after a throw: a stop from outside wins over what the model threw. */
export function classifyEnd(stop: StopReason | undefined, caught: unknown, maxRunMs: number): { status: RunStatus; error: RunError | null } {
  switch (stop?.kind) {
    case 'cancel':
      return { status: 'cancelled', error: null };
    case 'shutdown':
      return { status: 'interrupted', error: interruptedError };
    case 'timeout':
      return { status: 'failed', error: { code: 'timeout', message: `the run exceeded its maximum duration of ${maxRunMs} ms`, retryable: false } };
    default:
      return { status: 'failed', error: toRunError(caught) };
  }
}

/** The one terminal event of a run that ended with `status`. */
export function terminalEvent(status: RunStatus, output: AgentOutput, error: RunError | null, stop: StopReason | undefined, durationMs: number): StreamEvent {
  if (status === 'completed') return { type: 'run-finish', usage: output.usage, finishReason: output.finishReason ?? 'other', durationMs };
  if (status === 'cancelled') return { type: 'run-cancel', reason: stop?.kind === 'cancel' ? stop.reason : 'cancelled' };
  return { type: 'run-error', ...(error ?? interruptedError) };
}

/**
 * One transaction: the assistant message (if the session still exists and there is anything to
 * keep) and the run's end. A stateless run's answer is kept on its run row instead, so the same
 * requestId can get it back. Resolves to whether the message went into the session.
 */
export function persistRunEnd(
  db: Kysely<Database>,
  run: { id: string; userId: string; sessionId: string | null; agentName: string },
  ending: { message: Message; status: RunStatus; output: AgentOutput; error: RunError | null },
): Promise<boolean> {
  const { message, status, output, error } = ending;
  const endedAt = Date.now();
  return db.transaction().execute(async (trx) => {
    let stored = false;
    const keep = status === 'completed' || output.parts.length > 0;
    if (run.sessionId && keep && (await findSession(trx, run.userId, run.sessionId))) {
      await insertMessages(trx, run.userId, [{ ...message, sessionId: run.sessionId }]);
      await recordMessages(trx, run.sessionId, 1, message.createdAt.getTime(), { agent: run.agentName });
      stored = true;
    }
    const kept: RunCheckpoint | null = run.sessionId
      ? null
      : { content: output.text, parts: output.parts, usage: output.usage, message: { id: message.id, createdAt: message.createdAt.getTime(), status: message.status } };
    await updateRun(trx, run.id, {
      ...runEnd({ status, usage: output.usage, finishReason: output.finishReason, error, firstTokenAt: output.firstTokenAt, endedAt }),
      checkpoint: kept && JSON.stringify(kept),
      waiting: null,
    });
    return stored;
  });
}
