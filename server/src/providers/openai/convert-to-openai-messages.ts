import type OpenAI from 'openai';
import type { ModelMessage, ModelTool } from '../types.js';

type OpenAIMessage = OpenAI.Chat.ChatCompletionMessageParam;

/**
 * The system prompt and the provider-neutral conversation → Chat Completions `messages`.
 * - the system prompt is a `system` message (every compatible server knows `system`; OpenAI maps it
 *   to `developer` for reasoning models itself);
 * - an assistant turn's tool calls become `tool_calls` with `arguments` as a JSON string, and its
 *   content is null when it said nothing (as OpenAI itself returns it);
 * - a tool result is a `tool` message keyed by `tool_call_id`; a non-string output is sent as JSON.
 *   Chat Completions has no error flag: error outputs are already worded as errors by the engine;
 * - reasoning is not sent back: Chat Completions has no field for it, and DeepSeek rejects
 *   `reasoning_content` in input messages.
 */
export function convertToOpenAIMessages(system: string | undefined, messages: ModelMessage[]): OpenAIMessage[] {
  const result: OpenAIMessage[] = system ? [{ role: 'system', content: system }] : [];
  for (const message of messages) {
    switch (message.role) {
      case 'user':
        result.push({ role: 'user', content: message.content });
        break;
      case 'assistant':
        if (message.toolCalls?.length) {
          result.push({
            role: 'assistant',
            content: message.content || null,
            tool_calls: message.toolCalls.map((call) => ({
              id: call.callId,
              type: 'function' as const,
              function: { name: call.name, arguments: JSON.stringify(call.input ?? {}) },
            })),
          });
        } else {
          result.push({ role: 'assistant', content: message.content });
        }
        break;
      case 'tool':
        result.push({ role: 'tool', tool_call_id: message.callId, content: toolOutputText(message.output) });
        break;
    }
  }
  return result;
}

/** Tools → Chat Completions function tools, their JSON Schema as `parameters`. */
export function convertToOpenAITools(tools: ModelTool[]): OpenAI.Chat.ChatCompletionFunctionTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
  }));
}

function toolOutputText(output: unknown): string {
  if (typeof output === 'string') return output;
  return JSON.stringify(output) ?? 'null';
}
