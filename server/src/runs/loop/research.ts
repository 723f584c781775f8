import type { ModelMessage, ModelToolCall } from '../../providers/types.js';
import { mayNeedApproval } from '../../agents/approval.js';
import { fitRequest } from './context-budget.js';
import { streamModelStep } from './model-step.js';
import { runTool } from './tools.js';
import type { AgentLoopOptions, AgentOutput } from './types.js';

/** Most searches one research run makes. */
export const MAX_QUERIES = 4;
const MAX_QUERY_CHARACTERS = 200;

const PLANNER_INSTRUCTIONS =
  'You plan research. Reply with 2 to 4 short search queries that together answer the user, one per line, and nothing else.';

/**
 * The research workflow: a planner (the model, its words streamed as reasoning) proposes queries;
 * a researcher runs the agent's search tool (its first tool) for every query in parallel, streaming
 * each call and result; a writer (the model with the agent's instructions) answers from the
 * results. Each stage starts with `agent-change` (`planner`, `researcher`, `writer`).
 */
export async function runResearch(options: AgentLoopOptions, output: AgentOutput): Promise<void> {
  const { agent, model, signal, emit } = options;
  const question = options.messages.findLast((message) => message.role === 'user')?.content ?? '';

  emit({ type: 'agent-change', agent: 'planner' });
  const fit = (system: string, messages: ModelMessage[]) => fitRequest({ agent, model, system, messages, limits: options.contextLimits, summaries: options.summaries, signal });
  const planner = await fit(PLANNER_INSTRUCTIONS, options.messages);
  const budget = { ...(options.budget ? { budget: options.budget } : {}), ...(options.observer ? { observer: options.observer } : {}), ...(options.meter ? { meter: options.meter } : {}) };
  const plan = await streamModelStep(model, { system: planner.system, messages: planner.messages, signal }, output, emit, { textAs: 'reasoning', ...budget });
  if (plan.cut) return;
  const queries = deriveQueries(plan.text, question);

  emit({ type: 'agent-change', agent: 'researcher' });
  const search = agent.tools[0];
  const messages: ModelMessage[] = [...options.messages];
  if (search) {
    const calls: ModelToolCall[] = queries.map((query, index) => ({ callId: `${options.runId}-search-${index + 1}`, name: search.name, input: { query } }));
    for (const call of calls) {
      output.parts.push({ type: 'tool-call', ...call });
      emit({ type: 'tool-call', ...call });
    }
    const context = { userId: options.userId, sessionId: options.sessionId, runId: options.runId, signal };
    // Each result streams as soon as its search ends; the stored parts keep the calls' order.
    const results = await Promise.all(
      calls.map(async (call) => {
        // A fixed pipeline has no step to pause at: a search tool that asks for approval is refused.
        const result = mayNeedApproval(agent, search)
          ? { output: 'the research workflow cannot wait for approval; configure a search tool that needs none', isError: true }
          : await runTool([search], call, context, options.observer);
        emit({ type: 'tool-result', callId: call.callId, ...result });
        return result;
      }),
    );
    signal.throwIfAborted();
    messages.push({ role: 'assistant', content: '', toolCalls: calls });
    for (const [index, call] of calls.entries()) {
      const result = results[index]!;
      output.parts.push({ type: 'tool-result', callId: call.callId, name: call.name, ...result });
      messages.push({ role: 'tool', callId: call.callId, name: call.name, ...result });
    }
  }

  emit({ type: 'agent-change', agent: 'writer' });
  const writer = await fit(agent.instructions, messages);
  const maxOutputTokens = agent.maxOutputTokens ? { maxOutputTokens: agent.maxOutputTokens } : {};
  const written = await streamModelStep(model, { system: writer.system, messages: writer.messages, signal, ...maxOutputTokens }, output, emit, budget);
  if (!written.cut) appendSources(output, emit, messages);
}

/**
 * Ends the answer with the pages the searches found (each URL once, in the order found), so it
 * always says where its facts may come from, whatever the writer cited.
 */
function appendSources(output: AgentOutput, emit: AgentLoopOptions['emit'], messages: ModelMessage[]): void {
  const sources = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== 'tool' || message.isError) continue;
    const results = (message.output as { results?: unknown } | null)?.results;
    if (!Array.isArray(results)) continue;
    for (const result of results as { url?: unknown; title?: unknown }[]) {
      if (typeof result.url === 'string' && /^https?:\/\//.test(result.url) && !sources.has(result.url)) sources.set(result.url, typeof result.title === 'string' && result.title ? result.title : result.url);
    }
  }
  if (sources.size === 0) return;
  const list = [...sources].map(([url, title]) => `- [${title.replace(/[[\]]/g, '')}](${url})`).join('\n');
  const text = `${output.text.trim() ? '\n\n' : ''}Sources:\n${list}`;
  output.text += text;
  const last = output.parts.at(-1);
  if (last?.type === 'text') last.text += text;
  else output.parts.push({ type: 'text', text });
  emit({ type: 'text-delta', delta: text });
}

/**
 * The planner's reply → search queries: split on new lines and semicolons, list markers, a short
 * leading label (`Query 1:`, `Echo:`) and quotes removed, duplicates dropped, at most 4. A reply
 * without any usable query (empty, or only punctuation) falls back to the user's question.
 */
export function deriveQueries(plan: string, question: string): string[] {
  const seen = new Set<string>();
  const queries: string[] = [];
  for (const piece of plan.split(/[\n;]+/)) {
    const query = piece
      .trim()
      .replace(/^(?:[-*•]|\d+[.)])\s*/, '')
      .replace(/^[A-Za-z][\w ]{0,20}:\s+/, '')
      .replace(/^["'“]+|["'”]+$/g, '')
      .trim()
      .slice(0, MAX_QUERY_CHARACTERS);
    if (!/[\p{L}\p{N}]{2}/u.test(query) || seen.has(query.toLowerCase())) continue;
    seen.add(query.toLowerCase());
    queries.push(query);
    if (queries.length === MAX_QUERIES) break;
  }
  const fallback = question.trim().slice(0, MAX_QUERY_CHARACTERS);
  return queries.length > 0 ? queries : fallback ? [fallback] : [];
}
