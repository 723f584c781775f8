import type { AgentDefinition, ToolDefinition } from '../../agents/types.js';

/** Tool names that hand the run over: `handoff_to_<agent>`. */
export const HANDOFF_PREFIX = 'handoff_to_';

/** The agent a handoff tool's name points at, or undefined for another tool. */
export function handoffTarget(toolName: string): string | undefined {
  return toolName.startsWith(HANDOFF_PREFIX) ? toolName.slice(HANDOFF_PREFIX.length) : undefined;
}

/**
 * One tool per agent listed in `agent.handoffs` that exists (`find`). Calling it only answers that
 * the conversation is transferred; the agent loop does the switch after the step's tool results.
 */
export function handoffTools(agent: AgentDefinition, find: (name: string) => AgentDefinition | undefined): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  for (const name of agent.handoffs ?? []) {
    const target = find(name);
    if (!target || target.name === agent.name) continue;
    tools.push({
      name: `${HANDOFF_PREFIX}${target.name}`,
      description: `Hands the conversation over to the ${target.name} agent, which then answers the user: ${target.description}`,
      inputSchema: { type: 'object', properties: { reason: { type: 'string', description: 'Why, in a few words (optional).' } } },
      validate: (input) =>
        input === undefined || (typeof input === 'object' && input !== null && !Array.isArray(input))
          ? { ok: true, value: input ?? {} }
          : { ok: false, message: 'expected an object' },
      execute: async () => ({ handoff: target.name, message: `The ${target.name} agent takes over.` }),
    });
  }
  return tools;
}
