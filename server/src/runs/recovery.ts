import type { Kysely } from 'kysely';
import type { Message } from '@threadline/shared';
import type { Database, RunRow } from '../store/database.js';
import { insertMessages, newMessage } from '../store/messages.js';
import { runEnd, updateRun, type RunCheckpoint } from '../store/runs.js';
import { findSession, recordMessages } from '../store/sessions.js';
import { interruptedError } from './run-errors.js';

/**
 * A run left `queued` or `running` by a process that died becomes `interrupted`, in one
 * transaction. A run that never began gets its user message stored (the send was accepted, so it
 * must not vanish); a run that was streaming gets its last checkpointed partial answer stored with
 * status `interrupted`. Resolves to that assistant message, if one was stored.
 */
export async function interruptRun(db: Kysely<Database>, run: RunRow, now = Date.now()): Promise<Message | undefined> {
  const checkpoint = run.checkpoint ? (JSON.parse(run.checkpoint) as RunCheckpoint) : null;
  const usage = checkpoint?.usage ?? { inputTokens: 0, outputTokens: 0 };
  return db.transaction().execute(async (trx) => {
    const session = run.session_id ? await findSession(trx, run.user_id, run.session_id) : undefined;
    let answer: Message | undefined;
    if (session) {
      const messages: (Message & { sessionId: string })[] = [];
      const common = { sessionId: session.id, runId: run.id, agent: run.agent, model: run.model };
      if (run.status === 'queued' && run.content) {
        messages.push({ ...newMessage({ ...common, role: 'user', content: run.content, parts: [], agent: null, model: null, usage: null, status: 'complete' }), sessionId: session.id });
      }
      if (checkpoint && (checkpoint.content || checkpoint.parts.length > 0)) {
        answer = newMessage({ ...common, role: 'assistant', content: checkpoint.content, parts: checkpoint.parts, usage, status: 'interrupted' });
        messages.push({ ...answer, sessionId: session.id });
      }
      await insertMessages(trx, run.user_id, messages);
      if (messages.length > 0) await recordMessages(trx, session.id, messages.length, now);
    }
    await updateRun(trx, run.id, {
      ...runEnd({ status: 'interrupted', usage, finishReason: null, error: interruptedError, firstTokenAt: run.first_token_at, endedAt: now }),
      checkpoint: null,
    });
    return answer;
  });
}
