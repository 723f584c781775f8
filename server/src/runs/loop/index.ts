/**
 * The agent loop and its features: one model step at a time, tool calls (validated, run in
 * parallel, approvals asked through a hook), handoffs between agents, the context window, history
 * as the model sees it, the research workflow, and the side calls that name a session and suggest
 * follow-ups. Knows nothing of how runs are stored or scheduled: the run executor gives it hooks.
 */
export * from './agent-loop.js';
export * from './answer-budget.js';
export * from './context-budget.js';
export * from './context-summary.js';
export * from './history.js';
export * from './suggestions.js';
export * from './titles.js';
export * from './token-calibration.js';
export * from './types.js';
