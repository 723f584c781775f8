import type { FinishReason } from '@threadline/shared';

/**
 * Ollama's `done_reason` → Threadline's finish reason. Ollama says `stop` also when the model
 * called tools, so tool calls take precedence. Anything unknown (`load`, `unload`, a future value,
 * none at all) is `other`.
 */
export function mapOllamaFinishReason(doneReason: string | undefined, hasToolCalls: boolean): FinishReason {
  if (hasToolCalls) return 'tool-calls';
  switch (doneReason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    default:
      return 'other';
  }
}
