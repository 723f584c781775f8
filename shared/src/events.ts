import { z } from 'zod';
import { RunErrorCode } from './errors.js';
import { Id } from './ids.js';
import { Message, Usage } from './message.js';
import { FinishReason } from './run.js';

/** First event of every run. */
export const RunStartEvent = z.object({
  type: z.literal('run-start'),
  runId: Id,
  sessionId: Id.nullable(),
  sessionCreated: z.boolean(),
  agent: z.string(),
  model: z.string(),
});
/** The run waits for a slot; sent again whenever its position changes (1 = next). */
export const RunQueuedEvent = z.object({ type: z.literal('run-queued'), position: z.number().int().positive() });
/** Another agent took over (handoff). */
export const AgentChangeEvent = z.object({ type: z.literal('agent-change'), agent: z.string() });
export const ReasoningDeltaEvent = z.object({ type: z.literal('reasoning-delta'), delta: z.string() });
export const TextDeltaEvent = z.object({ type: z.literal('text-delta'), delta: z.string() });
export const ToolCallEvent = z.object({
  type: z.literal('tool-call'),
  callId: z.string(),
  name: z.string(),
  input: z.unknown(),
});
export const ToolResultEvent = z.object({
  type: z.literal('tool-result'),
  callId: z.string(),
  output: z.unknown(),
  isError: z.boolean(),
});
/** The call needs the user's approval: the run waits (`runs.approve` / `runs.deny`). */
export const ToolApprovalEvent = z.object({
  type: z.literal('tool-approval'),
  callId: z.string(),
  name: z.string(),
  input: z.unknown(),
});
/** The user approved or denied a call (a denied call's tool-result carries the reason to the model). */
export const ToolDecisionEvent = z.object({
  type: z.literal('tool-decision'),
  callId: z.string(),
  approved: z.boolean(),
  reason: z.string().nullable(),
});
/** The assistant message as stored (or, for a stateless run, as it would be). */
export const MessageEndEvent = z.object({ type: z.literal('message-end'), message: Message });
/** Terminal: the run completed. */
export const RunFinishEvent = z.object({
  type: z.literal('run-finish'),
  usage: Usage,
  finishReason: FinishReason,
  durationMs: z.number().nonnegative(),
});
/** Terminal: the run failed. */
export const RunErrorEvent = z.object({
  type: z.literal('run-error'),
  code: RunErrorCode,
  message: z.string(),
  retryable: z.boolean(),
});
/**
 * The model failed before its first token (after its retries) and the next of its fallbacks takes
 * over; the rest of the run, the stored message and the run record name `to`.
 */
export const ModelFallbackEvent = z.object({
  type: z.literal('model-fallback'),
  /** The `provider/model` that failed. */
  from: z.string(),
  /** The `provider/model` answering from now on. */
  to: z.string(),
  /** How `from` failed. */
  code: RunErrorCode,
  message: z.string(),
});
/** Terminal: the run was cancelled. */
export const RunCancelEvent = z.object({ type: z.literal('run-cancel'), reason: z.string() });

/** Every event a run streams, keyed on `type`. */
export const StreamEvent = z.discriminatedUnion('type', [
  RunStartEvent,
  RunQueuedEvent,
  AgentChangeEvent,
  ModelFallbackEvent,
  ReasoningDeltaEvent,
  TextDeltaEvent,
  ToolCallEvent,
  ToolResultEvent,
  ToolApprovalEvent,
  ToolDecisionEvent,
  MessageEndEvent,
  RunFinishEvent,
  RunErrorEvent,
  RunCancelEvent,
]);
export type StreamEvent = z.infer<typeof StreamEvent>;
export type StreamEventType = StreamEvent['type'];
/** The event of one `type`. */
export type StreamEventOf<T extends StreamEventType> = Extract<StreamEvent, { type: T }>;
/** The events that end a run: exactly one per run, always last. */
export type TerminalEvent = StreamEventOf<'run-finish' | 'run-error' | 'run-cancel'>;

const terminalTypes = new Set<StreamEventType>(['run-finish', 'run-error', 'run-cancel']);

/** True for `run-finish`, `run-error` and `run-cancel`. */
export function isTerminalEvent(event: StreamEvent): event is TerminalEvent {
  return terminalTypes.has(event.type);
}
