import type { Kysely } from 'kysely';
import type { ChatSendInput, Message, RunError, RunStatus } from '@threadline/shared';
import { newId } from '../../ids.js';
import type { Database } from '../../store/database.js';
import { activeMessages, insertMessages } from '../../store/messages.js';
import { activateBranch, branchTo, insertAnswer, runQuestionId } from '../../store/branches.js';
import { insertRun, updateRun, type NewRun, type RunLease, type StoredRun } from '../../store/runs.js';
import { createSession, findSession, recordMessages } from '../../store/sessions.js';
import { assistantMessage, type AnsweringRun } from './run-ending.js';
import { interruptedError } from './run-errors.js';
import type { AgentOutput, ParkedRun, RunBranch, RunCheckpoint } from '../../store/run-shapes.js';
import { recordUsage, type LedgerEntry } from '../../store/usage-ledger.js';

/**
 * The run record: every transition of a run's stored state, each in one write or one transaction.
 *
 *   created (queued) → begun (running) → checkpointed … → parked (waiting) ⇄ resumed (running) …
 *   → ended (completed | failed | cancelled | interrupted)
 *
 * and, for runs a stopped process left behind, interrupted or failed from the store. A run with
 * nothing before it is created begun: one transaction for both (see `createRun`).
 */

/**
 * The run a transition applies to, and the lease its writer holds it in: every write is
 * conditional on it (RunLeaseLost when another instance has taken the run over meanwhile).
 */
export interface RecordedRun {
  id: string;
  userId: string;
  sessionId: string | null;
  lease: RunLease;
  /** For a run that edits a question or regenerates an answer: where its messages go. */
  branch?: RunBranch | null;
}

/** A run about to be created: who asks what, answered by which agent and model. */
export interface RunToCreate {
  userId: string;
  /** The session it continues, or null (a stateless run, or one that creates its session). */
  sessionId: string | null;
  newSession: ChatSendInput['newSession'];
  requestId: string | null;
  content: string;
  agent: string;
  /** The model asked for explicitly (kept on a new session), and the model resolved. */
  requestedModel: string | null;
  model: string;
  priority: number;
  owner: string;
  /** An edit or a regeneration: where the run's messages go in the session's tree. */
  branch?: RunBranch;
}

/**
 * The run, queued: one insert, or, when it creates its session, one transaction of both. With
 * `begin` (the engine found its session's turn and a provider slot free as it created it), the
 * run is stored begun instead, in the same transaction: running, its question in its session, as
 * `beginRun` would store it a transaction later; the context it answers comes back with it.
 * Resolves to the run's id, session and lease.
 */
export async function createRun(
  db: Kysely<Database>,
  run: RunToCreate,
  now = Date.now(),
  options: { id?: string; begin?: boolean } = {},
): Promise<{ id: string; sessionId: string | null; lease: RunLease; context?: RunContext }> {
  const id = options.id ?? newId();
  const lease = { owner: run.owner, epoch: 0 };
  const toInsert = (sessionId: string | null): NewRun => ({
    id,
    userId: run.userId,
    sessionId,
    requestId: run.requestId,
    agent: run.agent,
    model: run.model,
    content: run.content,
    priority: run.priority,
    owner: run.owner,
    queuedAt: now,
    ...(run.branch ? { branch: run.branch } : {}),
    ...(options.begin ? { startedAt: now } : {}),
  });
  if (!run.newSession && !(options.begin && run.sessionId)) {
    await insertRun(db, toInsert(run.sessionId));
    const begun = options.begin ? { context: { history: [userMessage({ id, sessionId: null }, run.content)], allowedTools: [] } } : {};
    return { id, sessionId: run.sessionId, lease, ...begun };
  }
  const given = run.newSession && run.newSession !== true ? run.newSession : {};
  return db.transaction().execute(async (trx) => {
    let sessionId = run.sessionId;
    if (run.newSession) {
      const created = await createSession(
        trx,
        { userId: run.userId, agent: run.agent, model: run.requestedModel, title: given.title ?? null, ...(given.metadata ? { metadata: given.metadata } : {}) },
        now,
      );
      sessionId = created.id;
    }
    await insertRun(trx, toInsert(sessionId));
    if (!options.begin || !sessionId) return { id, sessionId, lease };
    const recorded = { id, userId: run.userId, sessionId, lease, sessionCreated: Boolean(run.newSession), ...(run.branch ? { branch: run.branch } : {}) };
    return { id, sessionId, lease, context: await storeBeginning(trx, recorded, userMessage(recorded, run.content, new Date(now))) };
  });
}

/**
 * A run cancelled before it started: the stop came (by requestId) before the send that would start
 * it. Stored ended, under that requestId, so the send finds it and answers that it was cancelled.
 */
export function createCancelledRun(
  db: Kysely<Database>,
  run: { userId: string; requestId: string; agent: string; model: string; owner: string; reason: string },
  now = Date.now(),
): Promise<string> {
  const id = newId();
  return db.transaction().execute(async (trx) => {
    await insertRun(trx, { id, userId: run.userId, sessionId: null, requestId: run.requestId, agent: run.agent, model: run.model, content: null, priority: 5, owner: run.owner, queuedAt: now });
    await updateRun(trx, id, { status: 'cancelled', endedAt: now, usage: { inputTokens: 0, outputTokens: 0 }, cancelReason: run.reason });
    return id;
  });
}

/** The user's message of a run, as stored in its session. */
function userMessage(run: { id: string; sessionId: string | null }, content: string, createdAt = new Date()): Message {
  return { id: newId(), sessionId: run.sessionId, runId: run.id, role: 'user', content, parts: [], agent: null, model: null, usage: null, status: 'complete', createdAt };
}

/** What a run answers: the conversation so far (its own user message last), and the tools its session allows without asking. */
export interface RunContext {
  history: Message[];
  allowedTools: string[];
  /** The message the run's answer follows (its question), when known. */
  answerParentId?: string;
}

/**
 * Stores the run's question where its branch says: after the active leaf (a plain send), or beside
 * the edited question (that branch becomes active first); a regeneration stores none and makes
 * the question it answers again the active leaf. Resolves to the message the answer will follow.
 */
async function storeQuestion(trx: Kysely<Database>, run: RecordedRun & { sessionId: string }, message: Message): Promise<string> {
  const branch = run.branch;
  if (branch?.kind === 'regenerate') {
    await activateBranch(trx, run.sessionId, branch.replyTo);
    return branch.replyTo;
  }
  if (branch?.kind === 'edit') await activateBranch(trx, run.sessionId, branch.parentId);
  await insertMessages(trx, run.userId, [{ ...message, sessionId: run.sessionId, ...(branch ? { parentId: branch.parentId } : {}) }]);
  return message.id;
}

/**
 * One transaction: the run is running and the user's message is in its session. Resolves to what
 * the run answers (the session's counters update reads its allowed tools). A run that created its
 * session begins before any other run there (runs of a session begin in send order), so its
 * history is its own message, without reading it back.
 */
export function beginRun(db: Kysely<Database>, run: RecordedRun & { sessionCreated?: boolean }, content: string, startedAt: number): Promise<RunContext> {
  const message = userMessage(run, content);
  return db.transaction().execute(async (trx) => {
    await updateRun(trx, run.id, { status: 'running', startedAt }, run.lease);
    if (!run.sessionId) return { history: [message], allowedTools: [] };
    return storeBeginning(trx, { ...run, sessionId: run.sessionId }, message);
  });
}

/** Inside a run's begin (or create-and-begin) transaction: its question stored, its session's counters, what it answers. */
async function storeBeginning(trx: Kysely<Database>, run: RecordedRun & { sessionId: string; sessionCreated?: boolean }, message: Message): Promise<RunContext> {
  const answerParentId = await storeQuestion(trx, run, message);
  const asked = run.branch?.kind === 'regenerate' ? 0 : 1;
  const session = await recordMessages(trx, run.sessionId, asked, message.createdAt.getTime());
  const history = run.sessionCreated ? [{ ...message, parentId: null }] : await activeMessages(trx, run.sessionId);
  return { history, allowedTools: session?.allowedTools ?? [], answerParentId };
}

/**
 * What a run resumed after a pause answers: its branch of the session, down to its question (also
 * when the user has switched branches meanwhile), and allowed tools; or, stateless, just its message.
 */
export async function contextOf(db: Kysely<Database>, run: { id: string; userId: string; sessionId: string | null; branch?: RunBranch | null }, content: string): Promise<RunContext> {
  if (!run.sessionId) return { history: [userMessage(run, content)], allowedTools: [] };
  const session = await findSession(db, run.userId, run.sessionId);
  const question = run.branch?.kind === 'regenerate' ? run.branch.replyTo : await runQuestionId(db, run.id);
  const history = question ? await branchTo(db, run.sessionId, question) : await activeMessages(db, run.sessionId);
  return { history, allowedTools: session?.allowedTools ?? [], ...(question ? { answerParentId: question } : {}) };
}

/** The partial answer of a streaming run, so a crash loses at most one checkpoint interval. */
export function checkpointRun(db: Kysely<Database>, run: RecordedRun, output: AgentOutput): Promise<void> {
  const checkpoint: RunCheckpoint = { content: output.text, parts: output.parts, usage: output.usage };
  return updateRun(db, run.id, { checkpoint, firstTokenAt: output.firstTokenAt }, run.lease);
}

/** The run waits for approvals, with everything it needs to go on (here or after a restart). */
export function parkRun(db: Kysely<Database>, run: RecordedRun, parked: ParkedRun): Promise<void> {
  return updateRun(db, run.id, { status: 'waiting', parked }, run.lease);
}

/** A waiting run's pause changed (a decision came in). */
export function updatePause(db: Kysely<Database>, run: RecordedRun, parked: ParkedRun): Promise<void> {
  return updateRun(db, run.id, { parked }, run.lease);
}

/** Every call of the pause is decided: the run is running again. */
export function resumeRun(db: Kysely<Database>, run: RecordedRun): Promise<void> {
  return updateRun(db, run.id, { status: 'running', parked: null }, run.lease);
}

/** How a run ends: its status, its answer (built by `assistantMessage`), and why. */
export interface StoredEnding {
  status: RunStatus;
  message: Message;
  output: AgentOutput;
  error: RunError | null;
  cancelReason?: string | null;
  /** A title for the run's session, set only if it has none. */
  title?: string;
  /** What the run's models cost: appended to the usage ledger in the same transaction. */
  ledger?: LedgerEntry[];
  /** The fallback model that took over from the run's model (see providers/fallback-model.ts). */
  fallbackModel?: string;
}

/**
 * One transaction: the run's end and the assistant message (if the session still exists and there
 * is anything to keep). A stateless run's answer is kept on its run row instead, so the same
 * requestId can get it back. The run's row is written first, conditional on the lease: a run
 * another instance has taken over meanwhile gets neither (RunLeaseLost). Resolves to whether the
 * message went into the session.
 */
export function endRun(db: Kysely<Database>, run: RecordedRun & { agent: string }, ending: StoredEnding, endedAt = Date.now()): Promise<boolean> {
  const { message, status, output, error } = ending;
  return db.transaction().execute(async (trx) => {
    const kept: RunCheckpoint | null = run.sessionId
      ? null
      : { content: output.text, parts: output.parts, usage: output.usage, message: { id: message.id, createdAt: message.createdAt.getTime(), status: message.status } };
    await updateRun(trx, run.id, {
      status,
      usage: output.usage,
      finishReason: output.finishReason,
      error,
      firstTokenAt: output.firstTokenAt,
      endedAt,
      checkpoint: kept,
      parked: null,
      cancelReason: ending.cancelReason ?? null,
      ...(ending.fallbackModel ? { model: ending.fallbackModel } : {}),
    }, run.lease);
    if (ending.ledger) await recordUsage(trx, ending.ledger, endedAt);
    const keep = status === 'completed' || output.parts.length > 0;
    if (!run.sessionId || !keep) return false;
    // Updating the session's counters tells whether it still exists (it may have been deleted meanwhile).
    if (!(await recordMessages(trx, run.sessionId, 1, message.createdAt.getTime(), { agent: run.agent, ...(ending.title ? { titleIfUnset: ending.title } : {}) }))) return false;
    await insertAnswer(trx, run.userId, { ...message, sessionId: run.sessionId });
    return true;
  });
}

/**
 * A run left `queued` or `running` by a process that died becomes `interrupted`, in one
 * transaction. A run that never began gets its user message stored (the send was accepted, so it
 * must not vanish); a run that was streaming gets its last checkpointed partial answer stored with
 * status `interrupted`. Resolves to that assistant message, if one was stored.
 */
export function interruptRun(db: Kysely<Database>, run: StoredRun, lease: RunLease, now = Date.now()): Promise<Message | undefined> {
  const { checkpoint } = run;
  const usage = checkpoint?.usage ?? { inputTokens: 0, outputTokens: 0 };
  return db.transaction().execute(async (trx) => {
    await updateRun(trx, run.id, {
      status: 'interrupted',
      usage,
      finishReason: null,
      error: interruptedError,
      firstTokenAt: run.firstTokenAt?.getTime() ?? null,
      endedAt: now,
      checkpoint: null,
    }, lease);
    const session = run.sessionId ? await findSession(trx, run.userId, run.sessionId) : undefined;
    let answer: Message | undefined;
    if (session) {
      let stored = 0;
      const recorded = { id: run.id, userId: run.userId, sessionId: session.id, lease, branch: run.branch };
      if (run.status === 'queued' && run.content && run.branch?.kind !== 'regenerate') {
        await storeQuestion(trx, recorded, userMessage(run, run.content));
        stored += 1;
      }
      if (checkpoint && (checkpoint.content || checkpoint.parts.length > 0)) {
        answer = assistantMessage(run, { text: checkpoint.content, parts: checkpoint.parts, usage }, 'interrupted');
        if (run.branch?.kind === 'regenerate') answer = { ...answer, parentId: run.branch.replyTo };
        await insertAnswer(trx, run.userId, { ...answer, sessionId: session.id });
        stored += 1;
      }
      if (stored > 0) await recordMessages(trx, session.id, stored, now);
    }
    return answer;
  });
}

/** A parked run that cannot go on after a restart (its agent or model is gone): failed, with what it had answered. */
export async function failParkedRun(db: Kysely<Database>, run: StoredRun, lease: RunLease, parked: ParkedRun, reason: string): Promise<void> {
  const error: RunError = { code: 'internal', message: `the run could not resume after a restart: ${reason}`, retryable: false };
  const answering: AnsweringRun = { id: run.id, sessionId: run.sessionId, agent: parked.agent, model: parked.model };
  const message = assistantMessage(answering, parked.output, 'failed');
  await endRun(db, { ...run, lease, agent: parked.agent }, { message, status: 'failed', output: parked.output, error });
}
