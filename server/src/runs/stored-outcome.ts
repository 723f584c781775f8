import type { Kysely } from 'kysely';
import type { Message, RunError, RunStatus, Usage } from '@threadline/shared';
import { notFound } from '../errors.js';
import type { Database } from '../store/database.js';
import { toMessage } from '../store/messages.js';
import { findRun, toRun, type RunCheckpoint } from '../store/runs.js';
import type { RunOutcome } from './engine.js';
import { parseParkedRun } from './parked-run.js';

/**
 * How a run this process no longer holds ended, from the store: its record and its assistant
 * message (from the session, or, for a stateless run, kept on the run row). NOT_FOUND for a run
 * that does not exist or is another user's.
 */
export async function readStoredOutcome(db: Kysely<Database>, userId: string, runId: string): Promise<RunOutcome> {
  const row = await findRun(db, userId, runId);
  if (!row) throw notFound('run');
  const messageRow = await db.selectFrom('messages').selectAll().where('run_id', '=', runId).where('role', '=', 'assistant').executeTakeFirst();
  const usage: Usage = row.usage ? (JSON.parse(row.usage) as Usage) : { inputTokens: 0, outputTokens: 0 };
  // A waiting run's answer so far is in its pause; a streaming one's in its checkpoint.
  const parked = row.waiting ? parseParkedRun(row.waiting).output : undefined;
  const kept: RunCheckpoint | undefined = parked
    ? { content: parked.text, parts: parked.parts, usage: parked.usage, message: { id: runId, createdAt: Date.now(), status: 'waiting' } }
    : row.checkpoint
      ? (JSON.parse(row.checkpoint) as RunCheckpoint)
      : undefined;
  const message: Message = messageRow
    ? toMessage(messageRow)
    : {
        id: kept?.message?.id ?? runId,
        sessionId: row.session_id,
        runId,
        role: 'assistant',
        content: kept?.content ?? '',
        parts: kept?.parts ?? [],
        agent: row.agent,
        model: row.model,
        usage,
        status: kept?.message?.status ?? 'failed',
        createdAt: new Date(kept?.message?.createdAt ?? row.ended_at ?? row.queued_at),
      };
  return { runId, sessionId: row.session_id, status: row.status as RunStatus, message, usage, error: row.error ? (JSON.parse(row.error) as RunError) : null, approvals: toRun(row).approvals };
}
