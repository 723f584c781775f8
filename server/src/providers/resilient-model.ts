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
    stream: (request: ModelRequest): AsyncIterable<ModelPart> => ({ [Symbol.asyncIterator]: () => new ResilientStream(model, policy, request) }),
  };
}

/**
 * The parts of one call, attempt after attempt. A plain iterator rather than a generator: it sits on
 * every token's way, and a generator's step costs more than passing a result through. Each attempt
 * has its own signal, aborted when no part arrives within the idle timeout: one timer per attempt,
 * pushed back with `refresh()` on every part.
 */
class ResilientStream implements AsyncIterator<ModelPart> {
  private attempt = 0;
  /** A part reached the caller: no more retries. */
  private yielded = false;
  private finished = false;
  private current: { iterator: AsyncIterator<ModelPart>; idle: AbortController; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly model: ChatModel,
    private readonly policy: ResiliencePolicy,
    private readonly request: ModelRequest,
  ) {}

  /**
   * Once a part has reached the caller no attempt is retried, so each later part takes a path
   * chained on the model's own promise (no async function frame per token, which a slow stream
   * keeps from one token to the next); the first part and every failure take the full one.
   */
  next(): Promise<IteratorResult<ModelPart>> {
    const current = this.current;
    if (!this.yielded || this.finished || !current) return this.attempted();
    return current.iterator.next().then(
      (result) => {
        if (!result.done) {
          current.timer.refresh();
          return result;
        }
        this.finished = true;
        return this.closeAttempt().then(() => result);
      },
      (error: unknown) => this.failedAfterParts(current, error),
    );
  }

  /** A failure after parts reached the caller: never retried; an idle stream's says `timeout`. */
  private async failedAfterParts(current: NonNullable<ResilientStream['current']>, error: unknown): Promise<never> {
    this.finished = true;
    await this.closeAttempt();
    this.request.signal.throwIfAborted();
    throw current.idle.signal.aborted ? this.idleTimeout(error) : error;
  }

  /** What a stream silent for the idle timeout fails with. */
  private idleTimeout(cause: unknown): ProviderError {
    return new ProviderError({ code: 'timeout', message: `${this.model.id}: no data for ${this.policy.idleTimeoutMs} ms`, retryable: true, cause });
  }

  /** The next part with retries: the first part of the call, and attempts after failures before it. */
  private async attempted(): Promise<IteratorResult<ModelPart>> {
    const { policy, request } = this;
    for (;;) {
      if (this.finished) return { done: true, value: undefined };
      const current = (this.current ??= this.open());
      let result: IteratorResult<ModelPart>;
      try {
        try {
          result = await current.iterator.next();
        } catch (error) {
          if (!current.idle.signal.aborted || request.signal.aborted) throw error;
          throw this.idleTimeout(error);
        }
      } catch (error) {
        await this.closeAttempt();
        request.signal.throwIfAborted();
        const retryable = error instanceof ProviderError && error.retryable;
        if (this.yielded || !retryable || this.attempt >= policy.maxRetries) {
          this.finished = true;
          throw error;
        }
        const retryAfterMs = error.retryAfterMs;
        const delayMs = backoff(policy, this.attempt, retryAfterMs);
        this.attempt++;
        request.onRetry?.({ attempt: this.attempt, error, retryAfterMs, delayMs });
        await sleep(delayMs, undefined, { signal: request.signal });
        continue;
      }
      if (result.done) {
        this.finished = true;
        await this.closeAttempt();
        return result;
      }
      current.timer.refresh();
      this.yielded = true;
      return result;
    }
  }

  async return(): Promise<IteratorResult<ModelPart>> {
    this.finished = true;
    await this.closeAttempt();
    return { done: true, value: undefined };
  }

  private open() {
    const idle = new AbortController();
    const timer = setTimeout(() => idle.abort(new Error('idle')), this.policy.idleTimeoutMs);
    const iterator = this.model.stream({ ...this.request, signal: AbortSignal.any([this.request.signal, idle.signal]) })[Symbol.asyncIterator]();
    return { iterator, idle, timer };
  }

  /** The attempt's timer cleared and its stream closed (a no-op for one that ended or failed). */
  private async closeAttempt(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    clearTimeout(current.timer);
    await current.iterator.return?.();
  }
}

function backoff(policy: ResiliencePolicy, attempt: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxBackoffMs);
  const exponential = policy.initialBackoffMs * 2 ** attempt;
  return Math.min(exponential * (0.75 + Math.random() * 0.5), policy.maxBackoffMs);
}
