import type { ContentBlockParam, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import type { ModelMessage } from '../types.js';

/** A conversation in Anthropic's shape: the system prompt apart, then alternating user/assistant turns. */
export interface AnthropicPrompt {
  system?: string;
  messages: MessageParam[];
}

/**
 * Provider-neutral messages → Anthropic Messages. The system prompt goes in `system`; tool results
 * become `tool_result` blocks of a user turn; consecutive turns of one role are merged, since the
 * API wants user and assistant to alternate. Reasoning is sent back as a `thinking` block only with
 * its signature (the API rejects an unsigned one); empty text is left out (the API rejects it).
 */
export function convertToAnthropicMessages(system: string | undefined, messages: ModelMessage[]): AnthropicPrompt {
  const turns: { role: 'user' | 'assistant'; content: ContentBlockParam[] }[] = [];
  const append = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };

  for (const message of messages) {
    switch (message.role) {
      case 'user':
        append('user', message.content ? [{ type: 'text', text: message.content }] : []);
        break;
      case 'assistant':
        append('assistant', assistantBlocks(message));
        break;
      case 'tool':
        append('user', [
          { type: 'tool_result', tool_use_id: message.callId, content: toolOutputText(message.output), is_error: message.isError },
        ]);
        break;
    }
  }
  return { ...(system ? { system } : {}), messages: turns };
}

function assistantBlocks(message: Extract<ModelMessage, { role: 'assistant' }>): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = [];
  if (message.reasoning && message.reasoningSignature) {
    blocks.push({ type: 'thinking', thinking: message.reasoning, signature: message.reasoningSignature });
  }
  if (message.content) blocks.push({ type: 'text', text: message.content });
  for (const call of message.toolCalls ?? []) {
    blocks.push({ type: 'tool_use', id: call.callId, name: call.name, input: toolInput(call.input) });
  }
  return blocks;
}

/** A tool's input must be a JSON object for Anthropic. */
function toolInput(input: unknown): Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
}

/** Tool outputs are any JSON value; Anthropic takes text. */
function toolOutputText(output: unknown): string {
  return typeof output === 'string' ? output : (JSON.stringify(output) ?? 'null');
}
