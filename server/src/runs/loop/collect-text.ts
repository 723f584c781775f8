import { ProviderError, type ChatModel, type ModelRequest } from '../../providers/types.js';

/** Runs one model request without tools to its end and returns its text (side calls: titles, suggestions). */
export async function collectText(model: ChatModel, request: ModelRequest): Promise<string> {
  let text = '';
  let finished = false;
  for await (const part of model.stream(request)) {
    if (part.type === 'text-delta') text += part.delta;
    else if (part.type === 'finish') finished = true;
  }
  if (!finished) throw new ProviderError({ code: 'provider_protocol', message: `${model.id}: stream ended without a finish`, retryable: true });
  return text;
}
