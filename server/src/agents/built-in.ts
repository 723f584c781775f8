import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { researchAgent } from './research-agent.js';
import { calculatorTool } from './tools/calculator.js';
import { currentTimeTool } from './tools/current-time.js';
import { searchHistoryTool } from './tools/search-history.js';
import type { AgentDefinition, ToolDefinition } from './types.js';

/** The tools agents (built in or from the agents file) can name. */
export function builtInTools(db: Kysely<Database>): ToolDefinition[] {
  return [calculatorTool, currentTimeTool, searchHistoryTool(db)];
}

/**
 * `chat` (the default, no tools), `assistant` (calculator, current time, search over your history)
 * and `research` (planner → parallel searches → writer).
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
      tools: named('calculator', 'current_time', 'search_history'),
      maxSteps: 8,
    },
    researchAgent(tools),
  ];
}
