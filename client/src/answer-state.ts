import type { FinishReason, Message, RunError, StreamEvent, ToolApproval, Usage } from '@threadline/shared';

/**
 * Where an answer stands. `connecting` until its first event; `queued` while it waits for its turn
 * or a provider slot; `streaming` while it runs; `waiting` while a tool call waits for the user's
 * approval. The last four are ends (the run's terminal event came).
 */
export type AnswerStatus = 'connecting' | 'queued' | 'streaming' | 'waiting' | AnswerEndStatus;

/** How an answer ended: `run-finish` → completed, `run-cancel` → cancelled, `run-error` → failed or interrupted. */
export type AnswerEndStatus = 'completed' | 'cancelled' | 'failed' | 'interrupted';

/** One tool call of an answer, with its result once it came and the user's say when it needed approval. */
export interface ToolCallState {
  callId: string;
  name: string;
  input: unknown;
  /** The tool's answer (`tool-result`); null until it came. */
  result: { output: unknown; isError: boolean } | null;
  /** Set when the call needs (or needed) approval: `pending` until `tool-decision`. */
  approval: Pick<ToolApproval, 'decision' | 'reason'> | null;
}

/** The assistant's answer as a run's stream events have built it so far. */
export interface AnswerState {
  status: AnswerStatus;
  /** From `run-start`. */
  runId: string | null;
  /** From `run-start`; null for a stateless run. */
  sessionId: string | null;
  /** The agent answering now: the run's (`run-start`), then the one that took over (`agent-change`). */
  agent: string | null;
  /** The `provider/model` answering: the run's (`run-start`), then the fallback that took over (`model-fallback`). */
  model: string | null;
  /** The agents that took over, in order (handoffs, research stages). */
  agentChanges: readonly string[];
  /** Position in the queue while `queued` (1 = next); null otherwise. */
  queuePosition: number | null;
  /** The reasoning deltas, joined. */
  reasoning: string;
  /** The text deltas, joined: the answer's text. */
  text: string;
  /** Every tool call, in the order they were made. */
  toolCalls: readonly ToolCallState[];
  /** The stored assistant message (`message-end`; partial when the run did not complete). */
  message: Message | null;
  /** The run's usage (`run-finish`), else the stored message's. */
  usage: Usage | null;
  /** Why the model stopped (`run-finish`). */
  finishReason: FinishReason | null;
  /** Why it failed (`run-error`). */
  error: RunError | null;
  /** Why it was cancelled (`run-cancel`). */
  cancelReason: string | null;
}

/** The state of an answer before its first event (frozen: reduceAnswer returns new states). */
export const initialAnswerState: AnswerState = Object.freeze({
  status: 'connecting',
  runId: null,
  sessionId: null,
  agent: null,
  model: null,
  agentChanges: Object.freeze([]),
  queuePosition: null,
  reasoning: '',
  text: '',
  toolCalls: Object.freeze([]),
  message: null,
  usage: null,
  finishReason: null,
  error: null,
  cancelReason: null,
});

/** True once the answer's terminal event has been applied. */
export function isAnswerEnded(state: Pick<AnswerState, 'status'>): boolean {
  return state.status === 'completed' || state.status === 'cancelled' || state.status === 'failed' || state.status === 'interrupted';
}

/**
 * The answer after one more event: a pure function (the state given is never changed), so it
 * serves `Array.prototype.reduce`, React's `setState` and a loop alike. Events are applied in
 * order and each once: a consumer that may see an event again (a replay) skips it by its id first.
 * An ended answer stays as it is.
 *
 * ```ts
 * let answer = initialAnswerState;
 * for await (const event of streamChat(client, { newSession: true, content: 'hi' })) {
 *   answer = reduceAnswer(answer, event);
 * }
 * console.log(answer.status, answer.text);
 * ```
 */
export function reduceAnswer(state: AnswerState, event: StreamEvent): AnswerState {
  if (isAnswerEnded(state)) return state;
  switch (event.type) {
    case 'run-start':
      return { ...state, status: 'streaming', runId: event.runId, sessionId: event.sessionId, agent: event.agent, model: event.model };
    case 'run-queued':
      return { ...state, status: 'queued', queuePosition: event.position };
    case 'agent-change':
      return { ...state, agent: event.agent, agentChanges: [...state.agentChanges, event.agent] };
    case 'model-fallback':
      return { ...state, model: event.to };
    case 'reasoning-delta':
      return { ...state, status: 'streaming', queuePosition: null, reasoning: state.reasoning + event.delta };
    case 'text-delta':
      return { ...state, status: 'streaming', queuePosition: null, text: state.text + event.delta };
    case 'tool-call': {
      const call: ToolCallState = { callId: event.callId, name: event.name, input: event.input, result: null, approval: null };
      return { ...state, status: 'streaming', queuePosition: null, toolCalls: [...state.toolCalls, call] };
    }
    case 'tool-result':
      return { ...state, toolCalls: updateCall(state.toolCalls, event.callId, { result: { output: event.output, isError: event.isError } }) };
    case 'tool-approval':
      return { ...state, status: 'waiting', toolCalls: updateCall(state.toolCalls, event.callId, { approval: { decision: 'pending', reason: null } }) };
    case 'tool-decision': {
      const decision = event.approved ? 'approved' : 'denied';
      const toolCalls = updateCall(state.toolCalls, event.callId, { approval: { decision, reason: event.reason } });
      // The run goes on once no call waits any more.
      const waiting = toolCalls.some((call) => call.approval?.decision === 'pending');
      return { ...state, status: waiting ? 'waiting' : 'streaming', toolCalls };
    }
    case 'message-end':
      return { ...state, message: event.message, usage: event.message.usage };
    case 'run-finish':
      return { ...state, status: 'completed', queuePosition: null, usage: event.usage, finishReason: event.finishReason };
    case 'run-cancel':
      return { ...state, status: 'cancelled', queuePosition: null, cancelReason: event.reason };
    case 'run-error': {
      const error: RunError = { code: event.code, message: event.message, retryable: event.retryable };
      return { ...state, status: event.code === 'interrupted' ? 'interrupted' : 'failed', queuePosition: null, error };
    }
    default:
      // A new event type fails to compile here until it is handled above; at run time (a newer
      // server than this client) it changes nothing.
      event satisfies never;
      return state;
  }
}

/** The calls with `change` applied to the call `callId` (a call the stream never named is left out). */
function updateCall(calls: readonly ToolCallState[], callId: string, change: Partial<ToolCallState>): ToolCallState[] {
  return calls.map((call) => (call.callId === callId ? { ...call, ...change } : call));
}
