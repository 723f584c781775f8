import type { Kysely } from 'kysely';
import type { Message } from '@threadline/shared';
import type { Database } from '../store/database.js';
import { insertMessages, newMessage } from '../store/messages.js';
import { findUnfinishedRuns, runEnd, updateRun, type RunCheckpoint } from '../store/runs.js';
import { findSession, recordMessages } from '../store/sessions.js';
import { interruptedError } from './run-errors.js';

/**
 * After a crash: every run left `queued` or `running` becomes `interrupted`. A run that never
 * began gets its user message stored (the send was accepted, so it must not vanish); a run that was
 * streaming gets its last checkpointed partial answer stored with status `interrupted`. Each run is
 * one transaction. Returns how many runs were recovered.
 */
export async function recoverInterruptedRuns(db: Kysely<Database>, now = Date.now()): Promise<number> {
  const runs = await findUnfinishedRuns(db);
  for (const run of runs) {
    const checkpoint = run.checkpoint ? (JSON.parse(run.checkpoint) as RunCheckpoint) : null;
    const usage = checkpoint?.usage ?? { inputTokens: 0, outputTokens: 0 };
    await db.transaction().execute(async (trx) => {
      const session = run.session_id ? await findSession(trx, run.user_id, run.session_id) : undefined;
      if (session) {
        const messages: (Message & { sessionId: string })[] = [];
        const common = { sessionId: session.id, runId: run.id, agent: run.agent, model: run.model };
        if (run.status === 'queued' && run.content) {
          messages.push({ ...newMessage({ ...common, role: 'user', content: run.content, parts: [], agent: null, model: null, usage: null, status: 'complete' }), sessionId: session.id });
        }
        if (checkpoint && (checkpoint.content || checkpoint.parts.length > 0)) {
          messages.push({ ...newMessage({ ...common, role: 'assistant', content: checkpoint.content, parts: checkpoint.parts, usage, status: 'interrupted' }), sessionId: session.id });
        }
        await insertMessages(trx, run.user_id, messages);
        if (messages.length > 0) await recordMessages(trx, session.id, messages.length, now);
      }
      await updateRun(trx, run.id, {
        ...runEnd({ status: 'interrupted', usage, finishReason: null, error: interruptedError, firstTokenAt: run.first_token_at, endedAt: now }),
        checkpoint: null,
      });
    });
  }
  return runs.length;
}
