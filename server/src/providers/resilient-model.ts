import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError, type ChatModel, type ModelPart, type ModelRequest } from './types.js';

/** How a model call is retried and watched. */
export interface ResiliencePolicy {
  /** Retries after the first attempt, only while nothing has been streamed yet. */
  maxRetries: number;
  /** First backoff; doubles each retry (with jitter), unless the provider said retry-after. */
  initialBackoffMs: number;
  /** Longest wait for one retry, including a provider's retry-after. */
  maxBackoffMs: number;
  /** A stream that yields nothing for this long is aborted as `timeout`. */
  idleTimeoutMs: number;
}

export const defaultResiliencePolicy: ResiliencePolicy = {
  maxRetries: 2,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  idleTimeoutMs: 60_000,
};

/**
 * Wraps a model with the policy every provider shares: retry retryable errors (429, 5xx, resets)
 * only before the first part reached the caller, honouring the provider's retry-after; abort the
 * request and fail with `timeout` when the stream goes silent. The caller's signal still aborts
 * everything at once.
 */
export function resilient(model: ChatModel, policy: ResiliencePolicy = defaultResiliencePolicy): ChatModel {
  return {
    id: model.id,
    async *stream(request: ModelRequest): AsyncIterable<ModelPart> {
      for (let attempt = 0; ; attempt++) {
        let yielded = false;
        try {
          for await (const part of watchIdle(model, request, policy.idleTimeoutMs)) {
            yielded = true;
            yield part;
          }
          return;
        } catch (error) {
          request.signal.throwIfAborted();
          const retryable = error instanceof ProviderError && error.retryable;
          if (yielded || !retryable || attempt >= policy.maxRetries) throw error;
          await sleep(backoff(policy, attempt, error.retryAfterMs), undefined, { signal: request.signal });
        }
      }
    },
  };
}

function backoff(policy: ResiliencePolicy, attempt: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxBackoffMs);
  const exponential = policy.initialBackoffMs * 2 ** attempt;
  return Math.min(exponential * (0.75 + Math.random() * 0.5), policy.maxBackoffMs);
}

/**
 * The model's stream with its own abort signal, aborted when no part arrives within `idleMs`.
 * One timer per call, pushed back with `refresh()` on every part (a new timer per part cost an
 * allocation and a timer-list insertion per token).
 */
async function* watchIdle(model: ChatModel, request: ModelRequest, idleMs: number): AsyncIterable<ModelPart> {
  const controller = new AbortController();
  const signal = AbortSignal.any([request.signal, controller.signal]);
  const timer = setTimeout(() => controller.abort(new Error('idle')), idleMs);
  const iterator = model.stream({ ...request, signal })[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<ModelPart>;
      try {
        next = await iterator.next();
      } catch (error) {
        if (controller.signal.aborted && !request.signal.aborted) {
          throw new ProviderError({ code: 'timeout', message: `${model.id}: no data for ${idleMs} ms`, retryable: true, cause: error });
        }
        throw error;
      }
      if (next.done) return;
      timer.refresh();
      yield next.value;
    }
  } finally {
    clearTimeout(timer);
    await iterator.return?.();
  }
}
