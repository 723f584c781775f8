import type { Kysely } from 'kysely';
import type { RunError, ToolApproval } from '@threadline/shared';
import type { ModelMessage, ModelToolCall } from '../providers/types.js';
import type { Database } from '../store/database.js';
import { newMessage } from '../store/messages.js';
import type { LoggedEvent } from './event-log.js';
import type { AgentOutput } from './model-step.js';
import { persistRunEnd } from './run-end.js';

/**
 * Where the tool loop stopped to ask the user: the step whose calls wait, with everything the run
 * needs to go on from there (in this process, or in the next one after a restart).
 */
export interface LoopPause {
  /** The loop step (model call) whose tool calls wait. */
  step: number;
  /** Messages this run added before that step (earlier steps' calls and results). */
  turn: ModelMessage[];
  /** That step's text (and reasoning) and every tool call it made (not only those waiting). */
  text: string;
  reasoning?: string;
  reasoningSignature?: string;
  calls: ModelToolCall[];
  /** The calls that need a decision, and the decisions so far. */
  approvals: ToolApproval[];
}

/** When undecided calls of a pause are denied (epoch ms), or null for never. */
export interface PauseExpiry {
  expiresAt: number | null;
}

/** A `waiting` run as its row keeps it (`runs.waiting`, JSON). */
export interface ParkedRun extends LoopPause, PauseExpiry {
  /** The agent and model answering at the pause (a handoff may have changed them). */
  agent: string;
  model: string;
  output: AgentOutput;
  /** Every event so far, ids included, so readers resume across a restart without a gap. */
  events: LoggedEvent[];
  /** How long the run had been active before it waited (its maximum duration counts active time only). */
  activeMs: number;
}

export function parseParkedRun(json: string): ParkedRun {
  return JSON.parse(json) as ParkedRun;
}

/** A parked run that cannot go on after a restart (its agent or model is gone): failed, with what it had answered. */
export async function failParkedRun(db: Kysely<Database>, row: { id: string; user_id: string; session_id: string | null }, parked: ParkedRun, reason: string): Promise<void> {
  const error: RunError = { code: 'internal', message: `the run could not resume after a restart: ${reason}`, retryable: false };
  const { output, agent, model } = parked;
  const message = newMessage({ sessionId: row.session_id, runId: row.id, role: 'assistant', content: output.text, parts: output.parts, agent, model, usage: output.usage, status: 'failed' });
  await persistRunEnd(db, { id: row.id, userId: row.user_id, sessionId: row.session_id, agentName: agent }, { message, status: 'failed', output, error });
}
