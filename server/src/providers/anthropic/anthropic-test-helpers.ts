import Anthropic from '@anthropic-ai/sdk';
import type { ModelPart, ModelRequest } from '../types.js';
import { AnthropicChatModel } from './anthropic-chat-model.js';

/** The key the adapter tests use; no error message may contain it. */
export const TEST_API_KEY = 'sk-ant-test-SECRET-0123456789';

/** An AnthropicChatModel (without resilient()) talking to a fake at `url` through the real SDK. */
export function testModel(url: string, modelName = 'claude-test'): AnthropicChatModel {
  const client = new Anthropic({ apiKey: TEST_API_KEY, baseURL: url, maxRetries: 0, logLevel: 'off' });
  return new AnthropicChatModel(modelName, { client, secrets: [TEST_API_KEY] });
}

/** A request with one user message, the rest overridable. */
export function userRequest(content: string, overrides: Partial<ModelRequest> = {}): ModelRequest {
  return { messages: [{ role: 'user', content }], signal: AbortSignal.timeout(10_000), ...overrides };
}

/** Every part the model streams, or the error it threw (with the parts before it). */
export async function collectParts(stream: AsyncIterable<ModelPart>): Promise<{ parts: ModelPart[]; error?: unknown }> {
  const parts: ModelPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
    return { parts };
  } catch (error) {
    return { parts, error };
  }
}
