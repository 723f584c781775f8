import type { ToolContext, ToolDefinition } from '../../agents/types.js';
import type { ToolApproval } from '@threadline/shared';
import type { ModelTool, ModelToolCall } from '../../providers/types.js';
import { unobserved, type RunObservation } from '../../observability/types.js';
import { transportSafe } from './transport-safe.js';

/** The tool result a denied call gets: the model sees that the user said no, and why. */
export function deniedResult(approval: ToolApproval): { output: string; isError: true } {
  return { output: `the user denied this call${approval.reason ? `: ${approval.reason}` : ''}`, isError: true };
}

/** How long one tool call may take. */
export const TOOL_TIMEOUT_MS = 30_000;

/** Tools as the model sees them. */
export function modelTools(tools: ToolDefinition[]): ModelTool[] {
  return tools.map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema }));
}

/**
 * Validates and runs one tool call. Every failure (unknown tool, bad input, a throw, the timeout)
 * becomes an error result the model sees; a tool never crashes the run. `observer` hears of the execution.
 */
export async function runTool(
  tools: ToolDefinition[],
  call: ModelToolCall,
  context: ToolContext,
  observer: RunObservation = unobserved,
): Promise<{ output: unknown; isError: boolean }> {
  const execution = observer.toolCall(call.name, call.callId, call.input);
  const result = await executeTool(tools, call, context);
  execution.end(result);
  return result;
}

async function executeTool(tools: ToolDefinition[], call: ModelToolCall, context: ToolContext): Promise<{ output: unknown; isError: boolean }> {
  const tool = tools.find((candidate) => candidate.name === call.name);
  if (!tool) return { output: `unknown tool ${call.name}`, isError: true };
  const input = tool.validate(call.input);
  if (!input.ok) return { output: `invalid input: ${input.message}`, isError: true };
  const signal = AbortSignal.any([context.signal, AbortSignal.timeout(TOOL_TIMEOUT_MS)]);
  try {
    return { output: transportSafe(await tool.execute(input.value, { ...context, signal })), isError: false };
  } catch (error) {
    return { output: `tool failed: ${(error as Error)?.message ?? String(error)}`, isError: true };
  }
}
