import type { StreamEvent, ToolApproval } from '@threadline/shared';
import type { AgentDefinition } from '../../agents/types.js';
import type { ChatModel, ModelMessage } from '../../providers/types.js';
import type { AgentOutput, LoopPause } from '../../store/run-shapes.js';
import type { AnswerBudget } from './answer-budget.js';
import type { ContextLimits } from './context-budget.js';
import type { ContextSummaries } from './context-summary.js';

/** The loop fills these in the shapes they are stored in (store/run-shapes.ts). */
export type { AgentOutput, LoopPause, StepResult } from '../../store/run-shapes.js';


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
  /** Keeps every request inside its model's context window (absent: only the agent's own policy). */
  contextLimits?: ContextLimits;
  /** Writes summaries of what does not fit, for agents with `context.overflow: summarize`. */
  summaries?: ContextSummaries;
  /** Continue a run that paused for approvals (after a restart): the step and messages it stopped at. */
  resume?: LoopPause;
}
