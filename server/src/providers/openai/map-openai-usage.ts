import type { Usage } from '@threadline/shared';
import type { OpenAIUsage } from './openai-api.js';

/**
 * OpenAI's usage → Threadline's. `outputTokens` is `completion_tokens`, which already includes the
 * reasoning tokens; reasoning and cached counts are set only when the server reports them.
 */
export function mapOpenAIUsage(usage: OpenAIUsage): Usage {
  const result: Usage = { inputTokens: usage.prompt_tokens ?? 0, outputTokens: usage.completion_tokens ?? 0 };
  const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens;
  const cachedInputTokens = usage.prompt_tokens_details?.cached_tokens;
  if (typeof reasoningTokens === 'number') result.reasoningTokens = reasoningTokens;
  if (typeof cachedInputTokens === 'number') result.cachedInputTokens = cachedInputTokens;
  return result;
}
