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
        let retryAfterMs: number | undefined;
        let failure: ProviderError | undefined;
        // The attempt's own signal, aborted when no part arrives within the idle timeout: one timer
        // per call, pushed back with `refresh()` on every part. (The watchdog was a generator of
        // its own around the model's, one more step on every token.)
        const idle = new AbortController();
        const timer = setTimeout(() => idle.abort(new Error('idle')), policy.idleTimeoutMs);
        const iterator = model.stream({ ...request, signal: AbortSignal.any([request.signal, idle.signal]) })[Symbol.asyncIterator]();
        try {
          for (;;) {
            let next: IteratorResult<ModelPart>;
            try {
              next = await iterator.next();
            } catch (error) {
              if (!idle.signal.aborted || request.signal.aborted) throw error;
              throw new ProviderError({ code: 'timeout', message: `${model.id}: no data for ${policy.idleTimeoutMs} ms`, retryable: true, cause: error });
            }
            if (next.done) return;
            timer.refresh();
            yielded = true;
            yield next.value;
          }
        } catch (error) {
          request.signal.throwIfAborted();
          const retryable = error instanceof ProviderError && error.retryable;
          if (yielded || !retryable || attempt >= policy.maxRetries) throw error;
          retryAfterMs = error.retryAfterMs;
          failure = error;
        } finally {
          clearTimeout(timer);
          await iterator.return?.();
        }
        const delayMs = backoff(policy, attempt, retryAfterMs);
        request.onRetry?.({ attempt: attempt + 1, error: failure!, retryAfterMs, delayMs });
        await sleep(delayMs, undefined, { signal: request.signal });
      }
    },
  };
}

function backoff(policy: ResiliencePolicy, attempt: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxBackoffMs);
  const exponential = policy.initialBackoffMs * 2 ** attempt;
  return Math.min(exponential * (0.75 + Math.random() * 0.5), policy.maxBackoffMs);
}
