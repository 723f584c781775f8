import type { Tool } from '@anthropic-ai/sdk/resources/messages';
import type { ModelTool } from '../types.js';

/** Provider-neutral tools → Anthropic tool definitions (the JSON Schema goes in `input_schema` as is). */
export function prepareAnthropicTools(tools: ModelTool[] | undefined): Tool[] | undefined {
  if (!tools?.length) return undefined;
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: { type: 'object', ...tool.inputSchema },
  }));
}
