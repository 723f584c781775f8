import type { AgentDefinition, ToolDefinition } from './types.js';

/**
 * `research`: planner → parallel searches → writer (runs/research.ts). Its first tool is the
 * search the researcher runs, `search_history` unless another is named.
 */
export function researchAgent(tools: ToolDefinition[], searchTool = 'search_history'): AgentDefinition {
  return {
    name: 'research',
    description: 'Researches a question: plans searches over your earlier conversations, runs them in parallel, and writes an answer from what it found.',
    instructions:
      'You are Threadline, writing up research. Answer the user from the search results above; say which earlier conversations you used, and say so when nothing relevant was found.',
    tools: tools.filter((tool) => tool.name === searchTool),
    maxSteps: 3,
    workflow: 'research',
  };
}
