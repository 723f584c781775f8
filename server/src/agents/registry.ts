import type { Agent } from '@threadline/shared';
import { invalid } from '../errors.js';
import { mayNeedApproval } from './approval.js';
import type { AgentDefinition } from './types.js';

/** The agent that answers when neither the request nor the session names one. */
export const DEFAULT_AGENT = 'chat';

/** Agents by name. */
export class AgentRegistry {
  private readonly agents = new Map<string, AgentDefinition>();

  constructor(
    agents: AgentDefinition[],
    private readonly defaultModel: string,
  ) {
    for (const agent of agents) this.agents.set(agent.name, agent);
  }

  /** Adds an agent, or replaces the one of the same name (agents defined after start, tests). */
  register(agent: AgentDefinition): void {
    this.agents.set(agent.name, agent);
  }

  /** The agent by name, or undefined. */
  find(name: string): AgentDefinition | undefined {
    return this.agents.get(name);
  }

  /** The agent by name; an unknown name is a bad request. */
  get(name: string): AgentDefinition {
    const agent = this.agents.get(name);
    if (!agent) throw invalid(`unknown agent ${name}`);
    return agent;
  }

  /** The model an agent uses when the request and session do not choose one. */
  modelOf(agent: AgentDefinition): string {
    return agent.model ?? this.defaultModel;
  }

  /** As clients see it. */
  describe(agent: AgentDefinition): Agent {
    return {
      name: agent.name,
      description: agent.description,
      model: this.modelOf(agent),
      fallbacks: agent.fallbacks ?? [],
      tools: agent.tools.map((tool) => ({ name: tool.name, description: tool.description, needsApproval: mayNeedApproval(agent, tool) })),
      handoffs: agent.handoffs ?? [],
      workflow: agent.workflow ?? 'tools',
      maxSteps: agent.maxSteps,
      context: agent.context ?? null,
      suggestions: agent.suggestions ?? false,
      reasoning: agent.reasoning ?? null,
      maxOutputTokens: agent.maxOutputTokens ?? null,
      titles: agent.titles ?? 'words',
    };
  }

  list(): Agent[] {
    return [...this.agents.values()].map((agent) => this.describe(agent));
  }
}
