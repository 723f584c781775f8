import type { ToolApproval } from '@threadline/shared';
import type { ModelToolCall } from '../providers/types.js';
import type { AgentDefinition, ToolDefinition } from './types.js';

/** Whether calls to `tool` may ever wait for approval in `agent` (what agents.list shows). */
export function mayNeedApproval(agent: AgentDefinition, tool: ToolDefinition): boolean {
  return Boolean(agent.approval?.includes(tool.name) || tool.needsApproval);
}

/**
 * The calls of one step that must wait for the user: their tool exists, their input is valid (an
 * invalid call fails at once, the model sees why), the agent or the tool asks for approval, and
 * the user has not allowed the tool for good (`allowed`).
 */
export function callsNeedingApproval(
  agent: AgentDefinition,
  tools: ToolDefinition[],
  calls: ModelToolCall[],
  allowed: (toolName: string) => boolean = () => false,
): ToolApproval[] {
  const waiting: ToolApproval[] = [];
  for (const call of calls) {
    const tool = tools.find((candidate) => candidate.name === call.name);
    if (!tool || !mayNeedApproval(agent, tool) || allowed(tool.name)) continue;
    const input = tool.validate(call.input);
    if (!input.ok) continue;
    const asks = agent.approval?.includes(tool.name) || tool.needsApproval === true || (typeof tool.needsApproval === 'function' && tool.needsApproval(input.value));
    if (asks) waiting.push({ callId: call.callId, name: call.name, input: call.input, decision: 'pending', reason: null });
  }
  return waiting;
}
