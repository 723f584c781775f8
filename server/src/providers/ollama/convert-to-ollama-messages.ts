import type { Message, Tool } from 'ollama';
import type { ModelMessage, ModelTool } from '../types.js';

/**
 * The provider-neutral conversation → Ollama's `messages`: the system prompt first, assistant turns
 * with their reasoning (`thinking`) and `tool_calls` (arguments as an object, no ids: Ollama has
 * none), and tool results as `{role: 'tool', tool_name, content}` with the output as JSON.
 */
export function convertToOllamaMessages(system: string | undefined, messages: ModelMessage[]): Message[] {
  const result: Message[] = [];
  if (system) result.push({ role: 'system', content: system });
  for (const message of messages) {
    switch (message.role) {
      case 'user':
        result.push({ role: 'user', content: message.content });
        break;
      case 'assistant':
        result.push({
          role: 'assistant',
          content: message.content,
          ...(message.reasoning ? { thinking: message.reasoning } : {}),
          ...(message.toolCalls?.length
            ? { tool_calls: message.toolCalls.map((call) => ({ function: { name: call.name, arguments: toArguments(call.input) } })) }
            : {}),
        });
        break;
      case 'tool':
        result.push({
          role: 'tool',
          tool_name: message.name,
          content: JSON.stringify(message.isError ? { error: message.output } : (message.output ?? null)),
        });
        break;
    }
  }
  return result;
}

/** Threadline's tools → Ollama's function tools, the input's JSON Schema as `parameters`. */
export function convertToOllamaTools(tools: ModelTool[]): Tool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.inputSchema as NonNullable<Tool['function']['parameters']> },
  }));
}

/** Ollama wants an object; a model's input is one almost always, anything else is wrapped. */
function toArguments(input: unknown): Record<string, unknown> {
  return input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : { value: input };
}
