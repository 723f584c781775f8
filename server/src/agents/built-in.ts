import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { researchAgent } from './research-agent.js';
import { calculatorTool } from './tools/calculator.js';
import { currentTimeTool } from './tools/current-time.js';
import { searchHistoryTool } from './tools/search-history.js';
import { WEB_SEARCH_TOOL, webSearchTool } from './tools/web-search.js';
import type { WebSearch } from '../web-search/web-search.js';
import type { AgentDefinition, ToolDefinition } from './types.js';

/** The tools agents (built in or from the agents file) can name; `web_search` when a search API is configured. */
export function builtInTools(db: Kysely<Database>, webSearch?: WebSearch): ToolDefinition[] {
  return [calculatorTool, currentTimeTool, searchHistoryTool(db), ...(webSearch ? [webSearchTool(webSearch)] : [])];
}

/**
 * `chat` (the default, no tools), `assistant` (calculator, current time, search over your history,
 * the web when configured; suggests follow-up questions) and `research` (planner → parallel
 * searches of the web when configured, else of your history → writer).
 */
export function builtInAgents(tools: ToolDefinition[]): AgentDefinition[] {
  const named = (...names: string[]) => tools.filter((tool) => names.includes(tool.name));
  return [
    {
      name: 'chat',
      description: 'A helpful conversational assistant.',
      instructions: 'You are Threadline, a helpful assistant. Answer clearly and concisely.',
      tools: [],
      maxSteps: 8,
    },
    {
      name: 'assistant',
      description: 'An assistant with tools: a calculator, the current time, and a search over your earlier conversations.',
      instructions:
        'You are Threadline, a careful assistant. Use the calculator for arithmetic, current_time for dates and times, and search_history when the user refers to earlier conversations. Answer concisely.',
      tools: named('calculator', 'current_time', 'search_history', WEB_SEARCH_TOOL),
      maxSteps: 8,
      suggestions: true,
    },
    researchAgent(tools, tools.some((tool) => tool.name === WEB_SEARCH_TOOL) ? WEB_SEARCH_TOOL : undefined),
  ];
}
