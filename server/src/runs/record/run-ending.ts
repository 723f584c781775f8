import type { FinishReason, Message, MessagePart, MessageStatus, RunError, RunStatus, StreamEvent, Usage } from '@threadline/shared';
import { newId } from '../../ids.js';
import { interruptedError } from './run-errors.js';

/** The run an answer belongs to, and who gave it. */
export interface AnsweringRun {
  id: string;
  sessionId: string | null;
  /** The agent and model answering at the end (a handoff may have changed them). */
  agent: string;
  model: string;
}

/** An answer so far: its text, its parts in order, and the usage that produced it. */
export interface Answer {
  text: string;
  parts: MessagePart[];
  usage: Usage;
}

/** Where the assistant message's id and time come from when they are known already (a stored answer). */
export interface AnswerIdentity {
  id?: string;
  createdAt?: Date;
  suggestions?: string[];
}

/** The message status of a run's answer when the run has `status`. */
export function answerStatus(status: RunStatus): MessageStatus {
  switch (status) {
    case 'completed':
      return 'complete';
    case 'queued':
    case 'running':
      return 'interrupted';
    default:
      return status;
  }
}

/**
 * The one builder of a run's assistant message: what is stored in its session (or kept on a
 * stateless run's row), what `message-end` and `chat.send` carry, whether the run completed, failed,
 * was cancelled, interrupted or paused for approvals.
 */
export function assistantMessage(run: AnsweringRun, answer: Answer, status: MessageStatus, identity: AnswerIdentity = {}): Message {
  return {
    id: identity.id ?? newId(),
    sessionId: run.sessionId,
    runId: run.id,
    role: 'assistant',
    content: answer.text,
    parts: answer.parts,
    agent: run.agent,
    model: run.model,
    usage: answer.usage,
    status,
    createdAt: identity.createdAt ?? new Date(),
    ...(identity.suggestions ? { suggestions: identity.suggestions } : {}),
  };
}

/** How a run ended, as its terminal event tells it. */
export interface RunEnding {
  status: RunStatus;
  usage: Usage;
  finishReason: FinishReason | null;
  error: RunError | null;
  /** Why a cancelled run was cancelled. */
  cancelReason: string | null;
  durationMs: number;
}

/** The one builder of a run's terminal event, live or replayed from the store. */
export function terminalEvent(ending: RunEnding): StreamEvent {
  switch (ending.status) {
    case 'completed':
      return { type: 'run-finish', usage: ending.usage, finishReason: ending.finishReason ?? 'other', durationMs: ending.durationMs };
    case 'cancelled':
      return { type: 'run-cancel', reason: ending.cancelReason ?? 'cancelled' };
    default:
      return { type: 'run-error', ...(ending.error ?? interruptedError) };
  }
}
