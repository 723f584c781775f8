import type { FinishReason } from '@threadline/shared';

/**
 * OpenAI's `finish_reason` → Threadline's finish reason. `function_call` is the legacy name of
 * `tool_calls`. Anything else (a compatible server's own value, none at all) is `other`.
 */
export function mapOpenAIFinishReason(finishReason: string | null | undefined): FinishReason {
  switch (finishReason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content-filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    default:
      return 'other';
  }
}
