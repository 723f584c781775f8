import type { RunErrorCode } from '@threadline/shared';
import { ProviderError, type ChatModel, type ModelPart, type ModelRequest } from './types.js';

/** Failures that make the next model worth trying: the provider, not the request, is the trouble. */
const FAILOVER_CODES: ReadonlySet<RunErrorCode> = new Set(['provider_auth', 'rate_limited', 'provider_unavailable', 'timeout']);

/** True when `error` (after the model's own retries) lets a fallback model take over. */
export function failsOver(error: unknown): error is ProviderError {
  return error instanceof ProviderError && FAILOVER_CODES.has(error.code);
}

/** Told when a model failed before its first part and the next one takes over. */
export type FallbackListener = (change: { from: ChatModel; to: ChatModel; error: ProviderError }) => void;

/** A model that hands a request to its fallbacks; `id` is the model answering now. */
export interface FallbackModel extends ChatModel {
  /** The model answering now (the first, or the fallback that took over). */
  current(): ChatModel;
}

/**
 * The first model, and when it fails before its first part (429 after its retries, 5xx, an
 * unreachable server, a refused key, silence) the next one, and so on. Never after a part reached
 * the caller: a partial answer is not restarted elsewhere. The model that answered stays for the
 * calls after (the next steps of the run's tool loop), so a provider that is down is not asked
 * again at every step. Each model keeps its own retry policy (wrap them with `resilient` first).
 */
export function withFallbacks(models: ChatModel[], onFallback: FallbackListener): FallbackModel {
  if (models.length === 0) throw new Error('withFallbacks needs a model');
  let index = 0;
  return {
    get id() {
      return models[index]!.id;
    },
    current: () => models[index]!,
    async *stream(request: ModelRequest): AsyncIterable<ModelPart> {
      for (;;) {
        const model = models[index]!;
        let yielded = false;
        try {
          for await (const part of model.stream(request)) {
            yielded = true;
            yield part;
          }
          return;
        } catch (error) {
          request.signal.throwIfAborted();
          if (yielded || !failsOver(error) || index >= models.length - 1) throw error;
          index++;
          onFallback({ from: model, to: models[index]!, error });
        }
      }
    },
  };
}
