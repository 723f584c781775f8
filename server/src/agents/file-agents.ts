import type { McpServers } from '../mcp/mcp-servers.js';
import { AgentsFileError, type AgentsFile, type AgentsFileAgent } from './agents-file.js';
import type { AgentDefinition, ToolDefinition } from './types.js';

/** What the file's tool names can refer to. */
export interface ToolSources {
  builtInTools: ToolDefinition[];
  mcp: McpServers;
  /** The providers configured here (`local`, `openai`, …): an agent's model must name one. */
  providers: string[];
}

/**
 * The built-in agents with the file's agents applied: a file agent with a built-in's name replaces
 * it in place, the others follow in file order. Throws one `AgentsFileError` naming every problem:
 * the file's own (shape, duplicates), every tool or approval that does not exist, every handoff to
 * no agent, every model of a provider that is not configured.
 */
export function agentsWithFile(builtIn: AgentDefinition[], file: AgentsFile, sources: ToolSources): AgentDefinition[] {
  const problems: string[] = [...file.problems];
  const defined = file.agents.map((entry) => toAgentDefinition(entry, entry.position, file, sources, problems));
  const names = new Set([...builtIn, ...defined].map((agent) => agent.name));
  for (const entry of file.agents) {
    (entry.handoffs ?? []).forEach((name, position) => {
      if (!names.has(name)) problems.push(`agents[${entry.position}].handoffs[${position}]: no agent ${name} (agents: ${[...names].join(', ')})`);
    });
    const provider = entry.model?.slice(0, entry.model.indexOf('/'));
    if (provider && !sources.providers.includes(provider)) {
      problems.push(`agents[${entry.position}].model: ${entry.model}: provider ${provider} is not configured here (configured: ${sources.providers.join(', ')})`);
    }
  }
  if (problems.length > 0) throw new AgentsFileError(file.path, problems);
  const byName = new Map(defined.map((agent) => [agent.name, agent]));
  const replaced = builtIn.map((agent) => byName.get(agent.name) ?? agent);
  const added = defined.filter((agent) => !builtIn.some((existing) => existing.name === agent.name));
  return [...replaced, ...added];
}

function toAgentDefinition(entry: AgentsFileAgent, index: number, file: AgentsFile, sources: ToolSources, problems: string[]): AgentDefinition {
  const tools: ToolDefinition[] = [];
  const sourceOf = new Map<string, string>();
  entry.tools.forEach((reference, position) => {
    const where = `agents[${index}].tools[${position}]`;
    const found = resolveTool(reference, file, sources);
    if (typeof found === 'string') return void problems.push(`${where}: ${found}`);
    for (const { source, tool } of found) {
      const earlier = sourceOf.get(tool.name);
      if (earlier === undefined) {
        sourceOf.set(tool.name, source);
        tools.push(tool);
      } else if (earlier !== source) {
        problems.push(`${where}: ${earlier} and ${source} are both named ${tool.name} for the model`);
      }
    }
  });
  const approval = (entry.approval ?? []).flatMap((reference, position) => {
    const where = `agents[${index}].approval[${position}]`;
    const found = resolveTool(reference, file, sources);
    if (typeof found === 'string') {
      problems.push(`${where}: ${found}`);
      return [];
    }
    const names = found.map(({ tool }) => tool.name);
    const missing = names.filter((name) => !tools.some((tool) => tool.name === name));
    if (missing.length > 0) problems.push(`${where}: ${missing.join(', ')} is not in this agent's tools`);
    return names;
  });
  return {
    name: entry.name,
    description: entry.description,
    instructions: entry.instructions,
    ...(entry.model ? { model: entry.model } : {}),
    ...(entry.fallbacks?.length ? { fallbacks: entry.fallbacks } : {}),
    tools,
    maxSteps: entry.maxSteps,
    ...(entry.context ? { context: entry.context } : {}),
    ...(entry.handoffs ? { handoffs: entry.handoffs } : {}),
    ...(entry.suggestions !== undefined ? { suggestions: entry.suggestions } : {}),
    ...(entry.titles ? { titles: entry.titles } : {}),
    ...(entry.reasoning ? { reasoning: entry.reasoning } : {}),
    ...(entry.maxOutputTokens ? { maxOutputTokens: entry.maxOutputTokens } : {}),
    ...(approval.length > 0 ? { approval } : {}),
  };
}

/** The tools a reference names (with where each comes from), or why it names none. */
function resolveTool(reference: string, file: AgentsFile, sources: ToolSources): { source: string; tool: ToolDefinition }[] | string {
  const slash = reference.indexOf('/');
  if (slash === -1) {
    const tool = sources.builtInTools.find((candidate) => candidate.name === reference);
    if (tool) return [{ source: reference, tool }];
    const names = sources.builtInTools.map((candidate) => candidate.name).join(', ');
    return `unknown tool ${reference} (built-in tools: ${names}; MCP tools are <server>/<tool> or <server>/*)`;
  }
  const server = reference.slice(0, slash);
  const name = reference.slice(slash + 1);
  if (!(server in file.mcpServers)) return `${reference}: no MCP server ${server} in mcpServers`;
  if (name === '*') {
    const listed = sources.mcp.get(server)?.tools ?? [];
    return sources.mcp.tools(server).map((tool, position) => ({ source: `${server}/${listed[position]!.name}`, tool }));
  }
  const tool = sources.mcp.tool(server, name);
  if (tool) return [{ source: reference, tool }];
  const listed = sources.mcp.get(server)?.tools.map((candidate) => candidate.name).join(', ');
  return `MCP server ${server} has no tool ${name} (it lists: ${listed || 'none'})`;
}
