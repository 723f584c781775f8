import type { AgentDefinition, ToolDefinition } from './types.js';

/**
 * `research`: planner → parallel searches → writer (runs/research.ts). Its first tool is the
 * search the researcher runs, `search_history` unless another is named (`web_search` when a web
 * search API is configured).
 */
export function researchAgent(tools: ToolDefinition[], searchTool = 'search_history'): AgentDefinition {
  const web = searchTool === 'web_search';
  return {
    name: 'research',
    description: web
      ? 'Researches a question: plans web searches, runs them in parallel, and writes an answer from what it found, citing its sources.'
      : 'Researches a question: plans searches over your earlier conversations, runs them in parallel, and writes an answer from what it found.',
    instructions: web
      ? 'You are Threadline, writing up research. Answer the user from the web search results above; cite every page you use as a markdown link with its URL, and say so when nothing relevant was found.'
      : 'You are Threadline, writing up research. Answer the user from the search results above; say which earlier conversations you used, and say so when nothing relevant was found.',
    tools: tools.filter((tool) => tool.name === searchTool),
    maxSteps: 3,
    workflow: 'research',
  };
}
