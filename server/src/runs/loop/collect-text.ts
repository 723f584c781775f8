import type { FinishReason, Usage } from '@threadline/shared';
import { ProviderError, type ChatModel, type ModelRequest } from '../../providers/types.js';
import { unobserved, type RunObservation } from '../../observability/types.js';
import { addUsage } from './add-usage.js';

/**
 * Runs one model request without tools to its end and returns its text (side calls: titles,
 * suggestions); `observer` hears of it as one more model call of the run.
 */
export async function collectText(model: ChatModel, request: ModelRequest, observer: RunObservation = unobserved): Promise<string> {
  const call = observer.modelCall(model.id);
  let text = '';
  let finishReason: FinishReason | null = null;
  let usage: Usage | null = null;
  let responseModel: string | undefined;
  const observed: ModelRequest = {
    ...request,
    onRetry: ({ attempt, error, retryAfterMs, delayMs }) => call.retry({ attempt, code: error.code, retryAfterMs, delayMs }),
    onResponseModel: (name) => (responseModel = name),
  };
  try {
    let first = true;
    for await (const part of model.stream(observed)) {
      if (first) call.firstChunk();
      first = false;
      if (part.type === 'text-delta') text += part.delta;
      else if (part.type === 'usage') usage = usage ? addUsage(usage, part.usage) : part.usage;
      else if (part.type === 'finish') finishReason = part.finishReason;
    }
    if (finishReason === null) throw new ProviderError({ code: 'provider_protocol', message: `${model.id}: stream ended without a finish`, retryable: true });
  } catch (error) {
    call.end({ usage, finishReason, responseModel, error, aborted: request.signal.aborted });
    throw error;
  }
  call.end({ usage, finishReason, responseModel });
  return text;
}
