import type { FinishReason, MessagePart, StreamEvent, ToolApproval, Usage } from '@threadline/shared';
import type { AgentDefinition } from '../../agents/types.js';
import type { ChatModel, ModelMessage, ModelToolCall } from '../../providers/types.js';

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
}

/** An empty output, for a run about to begin. */
export function emptyOutput(): AgentOutput {
  return { text: '', parts: [], usage: { inputTokens: 0, outputTokens: 0 }, finishReason: null, firstTokenAt: null };
}

/** One model call's own text, reasoning (with its signature, when the provider signs it) and tool calls. */
export interface StepResult {
  text: string;
  reasoning?: string;
  reasoningSignature?: string;
  calls: ModelToolCall[];
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

/** The agent a handoff switches to, with its model. */
export interface HandoffTarget {
  agent: AgentDefinition;
  model: ChatModel;
}

/** Everything one agent loop needs: who answers, the conversation, and the run's hooks. */
export interface AgentLoopOptions {
  agent: AgentDefinition;
  model: ChatModel;
  messages: ModelMessage[];
  userId: string;
  sessionId: string | null;
  runId: string;
  signal: AbortSignal;
  emit: (event: StreamEvent) => void;
  /** Looks up an agent a handoff may name (undefined: no handoffs). */
  findAgent?: (name: string) => AgentDefinition | undefined;
  /** Switches the run to `agent` (the engine records it and resolves its model). */
  handoff?: (agent: AgentDefinition) => HandoffTarget;
  /**
   * Pauses the run until the user decides on every call in `pause.approvals`; resolves to the
   * decided approvals. Without it, calls that need approval are denied.
   */
  awaitApprovals?: (pause: LoopPause) => Promise<ToolApproval[]>;
  /** Tools the user allowed without asking (for the session, or from earlier in the run). */
  isAllowed?: (toolName: string) => boolean;
  /** Continue a run that paused for approvals (after a restart): the step and messages it stopped at. */
  resume?: LoopPause;
}
