import type { ResiliencePolicy } from '../resilient-model.js';
import type { ChatModel, ModelPart, ModelRequest, Provider } from '../types.js';
import { createOpenAIProvider } from './index.js';

/** The key the adapter tests configure; it must never show up in an error message. */
export const TEST_API_KEY = 'sk-test-SECRET-0123456789';

/** No retries by default, so a test sees exactly the requests one attempt makes. */
export const noRetries: ResiliencePolicy = { maxRetries: 0, initialBackoffMs: 1, maxBackoffMs: 20, idleTimeoutMs: 2_000 };

/** The real provider, pointed at a fake's `/v1`. */
export function providerFor(fakeUrl: string, policy: ResiliencePolicy = noRetries): Provider {
  return createOpenAIProvider({ apiKey: TEST_API_KEY, baseUrl: `${fakeUrl}/v1` }, policy);
}

/** Streams one request and keeps what came before a throw. */
export async function collectParts(
  model: ChatModel,
  request: Partial<ModelRequest> = {},
): Promise<{ parts: ModelPart[]; error?: unknown; text: string }> {
  const parts: ModelPart[] = [];
  let error: unknown;
  try {
    const full: ModelRequest = { messages: [{ role: 'user', content: 'hello' }], signal: new AbortController().signal, ...request };
    for await (const part of model.stream(full)) parts.push(part);
  } catch (caught) {
    error = caught;
  }
  const text = parts.map((part) => (part.type === 'text-delta' ? part.delta : '')).join('');
  return error === undefined ? { parts, text } : { parts, error, text };
}
