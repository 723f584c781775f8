import type { Span } from '@opentelemetry/api';
import type { FinishReason, RunStatus, Usage } from '@threadline/shared';

/**
 * The one seam between the run engine and what watches it (logs, metrics, traces). The engine,
 * its executor, the agent loop and the approval gate call a run's `RunObservation` at each
 * transition; each implementation turns the calls into its own output. Calls happen per run, per
 * model call and per tool call, never per token.
 */
export interface RunObserver {
  /** A run was accepted (stored `queued`), or taken up again after a restart (`resumed`). */
  run(info: RunInfo): RunObservation;
}

/** Where a request came from: the HTTP request id and the procedure's span (when tracing). */
export interface RequestOrigin {
  /** The `x-request-id` of the HTTP request that started the run. */
  requestId?: string | undefined;
  /** The span of the procedure call that started the run: the run's span is its child. */
  span?: Span | undefined;
}

/** A run as its observers first see it. */
export interface RunInfo {
  runId: string;
  userId: string;
  sessionId: string | null;
  agent: string;
  /** `provider/model`. */
  model: string;
  /** The user's message (written to logs only with LOG_CONTENT=1). */
  content: string;
  /** Held again after a restart (a run that waited for approvals), not new. */
  resumed: boolean;
  origin?: RequestOrigin | undefined;
}

/** How a run ended, for its observers. */
export interface RunEnd {
  status: RunStatus;
  usage: Usage;
  finishReason: FinishReason | null;
  /** The run error's code (`rate_limit`, `timeout`, …), or null. */
  errorCode: string | null;
  /** Its execution time, as its terminal event says, ms. */
  durationMs: number;
  /** The answer's text (logged only with LOG_CONTENT=1). */
  text: string;
}

/** A tool call the user is asked to approve. */
export interface ObservedCall {
  callId: string;
  name: string;
}

/** One run's observation, from its acceptance to its end. */
export interface RunObservation {
  /** It waits for its session's earlier runs or a provider slot; `position` 1 is next. Called again when the position changes. */
  queued(position: number): void;
  /** It began executing (`resumed`: again, after approvals or a restart). */
  started(resumed: boolean): void;
  /** The first token (text, reasoning or a tool call) of its answer arrived. */
  firstToken(): void;
  /** A handoff: `agent` answers from now on, with `model`. */
  agentChanged(agent: string, model: string): void;
  /** A model call of the run begins. */
  modelCall(model: string): ModelCallObservation;
  /** A tool call of the run executes. */
  toolCall(name: string, callId: string, input: unknown): ToolCallObservation;
  /** The run pauses for the user's approval of these calls. */
  approvalAsked(calls: ObservedCall[]): void;
  /** The user (or the expiry) decided on one call. */
  approvalDecided(call: ObservedCall, approved: boolean, reason: string | undefined): void;
  /** The server stops while the run waits for approvals: it stays `waiting` for the next start. */
  parked(): void;
  /** The run ended (its end is stored and its terminal event emitted). */
  ended(end: RunEnd): void;
}

/** One model call: one or more provider requests (retries), then one outcome. */
export interface ModelCallObservation {
  /** The first part of the answer arrived. */
  firstChunk(): void;
  /** An attempt failed with a retryable error and is retried after `delayMs`. */
  retry(retry: ProviderRetry): void;
  /** The call ended: finished (with its usage and finish reason) or failed with `error`. */
  end(result: ModelCallResult): void;
}

/** A failed provider request that is tried again. */
export interface ProviderRetry {
  /** 1 for the first request. */
  attempt: number;
  /** The error's run-error code (`rate_limit`, `server`, …). */
  code: string;
  /** What the provider asked for (retry-after), if it did. */
  retryAfterMs: number | undefined;
  /** How long the retry waits. */
  delayMs: number;
}

/** A model call's outcome. */
export interface ModelCallResult {
  usage: Usage | null;
  finishReason: FinishReason | null;
  /** The model the provider says answered, when it says. */
  responseModel?: string | undefined;
  /** Set when the call failed. */
  error?: unknown;
  /** The run was stopped (cancelled, timed out, shut down) during the call: `error` is the stop, not the provider's. */
  aborted?: boolean;
}

/** One tool execution. */
export interface ToolCallObservation {
  end(result: { isError: boolean }): void;
}

/** The observation of a run nobody watches (a model call outside a run). */
export const unobserved: RunObservation & ModelCallObservation & ToolCallObservation = {
  queued() {},
  started() {},
  firstToken() {},
  agentChanged() {},
  modelCall: () => unobserved,
  toolCall: () => unobserved,
  approvalAsked() {},
  approvalDecided() {},
  parked() {},
  ended() {},
  firstChunk() {},
  retry() {},
  end() {},
};

/** Several observers as one; a single one is returned as it is. */
export function combineObservers(observers: RunObserver[]): RunObserver {
  if (observers.length === 1) return observers[0]!;
  return {
    run(info) {
      const runs = observers.map((observer) => observer.run(info));
      return {
        queued: (position) => runs.forEach((run) => run.queued(position)),
        started: (resumed) => runs.forEach((run) => run.started(resumed)),
        firstToken: () => runs.forEach((run) => run.firstToken()),
        agentChanged: (agent, model) => runs.forEach((run) => run.agentChanged(agent, model)),
        modelCall(model) {
          const calls = runs.map((run) => run.modelCall(model));
          return {
            firstChunk: () => calls.forEach((call) => call.firstChunk()),
            retry: (retry) => calls.forEach((call) => call.retry(retry)),
            end: (result) => calls.forEach((call) => call.end(result)),
          };
        },
        toolCall(name, callId, input) {
          const tools = runs.map((run) => run.toolCall(name, callId, input));
          return { end: (result) => tools.forEach((tool) => tool.end(result)) };
        },
        approvalAsked: (calls) => runs.forEach((run) => run.approvalAsked(calls)),
        approvalDecided: (call, approved, reason) => runs.forEach((run) => run.approvalDecided(call, approved, reason)),
        parked: () => runs.forEach((run) => run.parked()),
        ended: (end) => runs.forEach((run) => run.ended(end)),
      };
    },
  };
}

/** The provider of a `provider/model` id. */
export function providerOf(model: string): string {
  const slash = model.indexOf('/');
  return slash > 0 ? model.slice(0, slash) : model;
}

/** The model name of a `provider/model` id. */
export function modelNameOf(model: string): string {
  return model.slice(model.indexOf('/') + 1);
}
