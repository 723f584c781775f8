import type { Kysely } from 'kysely';
import type { ChatSendOutput, Message } from '@threadline/shared';
import { notFound } from '../../errors.js';
import type { Database } from '../../store/database.js';
import { findRunAnswer } from '../../store/messages.js';
import { findRun, type StoredRun } from '../../store/runs.js';
import { assistantMessage } from './run-ending.js';

/**
 * How a run this process no longer holds ended (or where it waits), from the store: its record and
 * its assistant message (from the session; else built from what its row keeps: a waiting run's
 * answer so far, a streaming run's checkpoint, a stateless run's final answer). NOT_FOUND for a
 * run that does not exist or is another user's.
 */
export async function readStoredOutcome(db: Kysely<Database>, userId: string, runId: string): Promise<ChatSendOutput> {
  const run = await findRun(db, userId, runId);
  if (!run) throw notFound('run');
  const usage = run.usage ?? { inputTokens: 0, outputTokens: 0 };
  const message = (await findRunAnswer(db, runId)) ?? keptAnswer(run);
  return { runId, sessionId: run.sessionId, status: run.status, message, usage, error: run.error, approvals: run.approvals };
}

/**
 * The answer a run's row keeps (a waiting run's answer so far, a stateless run's final answer, a
 * streaming run's last checkpoint), or an empty failed one. Its usage is the run's.
 */
function keptAnswer(run: StoredRun): Message {
  const usage = run.usage ?? { inputTokens: 0, outputTokens: 0 };
  if (run.parked) return assistantMessage(run, { ...run.parked.output, usage }, 'waiting', { id: run.id });
  const kept = run.checkpoint;
  const answer = { text: kept?.content ?? '', parts: kept?.parts ?? [], usage };
  return assistantMessage(run, answer, kept?.message?.status ?? 'failed', {
    id: kept?.message?.id ?? run.id,
    createdAt: new Date(kept?.message?.createdAt ?? (run.endedAt ?? run.queuedAt).getTime()),
  });
}
