import type { StreamEvent, ToolApproval } from '@threadline/shared';
import type { AgentDefinition } from '../../agents/types.js';
import type { ChatModel, ModelMessage, ModelPart, ModelTool } from '../../providers/types.js';
import type { AgentOutput, LoopPause } from '../../store/run-shapes.js';
import type { AnswerBudget } from './answer-budget.js';
import type { RunObservation } from '../../observability/types.js';
import type { ContextLimits } from './context-budget.js';
import type { ContextSummaries } from './context-summary.js';

/** The loop fills these in the shapes they are stored in (store/run-shapes.ts). */
export type { AgentOutput, LoopPause, StepResult } from '../../store/run-shapes.js';


/** Told of each part a model streams, with the model's id; it may stop the run (a budget). */
export type UsageMeter = (modelId: string, part: Extract<ModelPart, { type: 'text-delta' | 'reasoning-delta' | 'tool-call' | 'usage' }>) => void;

/** An empty output, for a run about to begin. */
export function emptyOutput(): AgentOutput {
  return { text: '', parts: [], usage: { inputTokens: 0, outputTokens: 0 }, finishReason: null, firstTokenAt: null };
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
  /** The room the answer has left; it ends (finish reason `length`) where that runs out. */
  budget?: AnswerBudget;
  /** Sees every text, reasoning, tool-call and usage part of every model call (the user's token budget). */
  meter?: UsageMeter;
  /**
   * Tools the caller runs itself (the OpenAI-compatible API's `tools`): offered to the model beside
   * the agent's; a step that calls one ends the run there (finish reason `tool-calls`), the calls
   * left for the caller to answer in its next request.
   */
  clientTools?: ModelTool[];
  /** Keeps every request inside its model's context window (absent: only the agent's own policy). */
  contextLimits?: ContextLimits;
  /** Writes summaries of what does not fit, for agents with `context.overflow: summarize`. */
  summaries?: ContextSummaries;
  /** Continue a run that paused for approvals (after a restart): the step and messages it stopped at. */
  resume?: LoopPause;
  /** Hears of each model call, tool call and the first token (logs, metrics, traces). */
  observer?: RunObservation;
}
