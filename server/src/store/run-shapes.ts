import type { FinishReason, MessagePart, MessageStatus, ToolApproval, Usage } from '@threadline/shared';
import type { LoggedEvent } from '../events/index.js';
import type { ModelMessage, ModelToolCall } from '../providers/types.js';

/**
 * The JSON shapes of a run's stored columns (runs.checkpoint, runs.waiting), and the pieces they
 * are made of. The store serializes them (runs.ts); the run record (runs/record/) is the only
 * code that builds them, and the agent loop fills them as it goes.
 */

/** What an agent produced in one run, also when it stopped early: nothing is lost on failure. */
export interface AgentOutput {
  /** The answer's text. */
  text: string;
  /** Reasoning, tool calls, tool results and text, in order. */
  parts: MessagePart[];
  usage: Usage;
  finishReason: FinishReason | null;
  /** When the first token (text, reasoning or tool call) arrived. */
  firstTokenAt: number | null;
  /** The usage of each model that answered (a handoff adds one): what the usage ledger records. */
  usageByModel?: Record<string, Usage>;
}

/** One model call's own text, reasoning (with its signature, when the provider signs it) and tool calls. */
export interface StepResult {
  text: string;
  reasoning?: string;
  reasoningSignature?: string;
  calls: ModelToolCall[];
  /** The answer's budget ran out during this step: it ends here. */
  cut?: boolean;
}

/**
 * Where the tool loop stopped to ask the user: the step whose calls wait, with everything the run
 * needs to go on from there (in this process, or in the next one after a restart).
 */
export interface LoopPause extends StepResult {
  /** The loop step (model call) whose tool calls wait. */
  step: number;
  /** Messages this run added before that step (earlier steps' calls and results). */
  turn: ModelMessage[];
  /** The calls that need a decision, and the decisions so far. */
  approvals: ToolApproval[];
}


/**
 * A run's answer kept on its row: the partial answer while it streams (checkpoints), and the final
 * answer of a stateless run, which has no session to hold it (so a repeated requestId gets it back).
 */
export interface RunCheckpoint {
  content: string;
  parts: MessagePart[];
  usage: Usage;
  /** Set on a stateless run's final answer. */
  message?: { id: string; createdAt: number; status: MessageStatus };
}

/** A `waiting` run as its row keeps it: the loop's pause and everything needed to go on after a restart. */
export interface ParkedRun extends LoopPause {
  /** When undecided calls are denied (epoch ms), or null for never. */
  expiresAt: number | null;
  /** The agent and model answering at the pause (a handoff may have changed them). */
  agent: string;
  model: string;
  output: AgentOutput;
  /** Every event so far, ids included, so readers resume across a restart without a gap. */
  events: LoggedEvent[];
  /** How long the run had been active before it waited (its maximum duration counts active time only). */
  activeMs: number;
}

/**
 * A run that branches (runs.branch): `edit` stores its question after `parentId` (null: as a first
 * message), beside the edited one; `regenerate` stores no question and answers `replyTo` again.
 * Either makes that branch the active one when the run begins.
 */
export type RunBranch = { kind: 'edit'; parentId: string | null } | { kind: 'regenerate'; replyTo: string };
