import type { StreamEvent } from '@threadline/shared';
import type { AgentDefinition } from '../agents/types.js';
import type { ChatModel, ModelMessage } from '../providers/types.js';
import { applyContextPolicy } from './context-window.js';
import { handoffTarget, handoffTools } from './handoffs.js';
import { streamModelStep, type AgentOutput } from './model-step.js';
import { runResearch } from './research.js';
import { modelTools, runTool } from './tools.js';

export { addUsage, type AgentOutput } from './model-step.js';

/** The agent a handoff switches to, with its model. */
export interface HandoffTarget {
  agent: AgentDefinition;
  model: ChatModel;
}

export interface AgentLoopOptions {
  agent: AgentDefinition;
  model: ChatModel;
  messages: ModelMessage[];
  userId: string;
  sessionId: string | null;
  runId: string;
  signal: AbortSignal;
  emit: (event: StreamEvent) => void;
  /** Looks up an agent a handoff may name (undefined: no handoffs). */
  findAgent?: (name: string) => AgentDefinition | undefined;
  /** Switches the run to `agent` (the engine records it and resolves its model). */
  handoff?: (agent: AgentDefinition) => HandoffTarget;
}

/**
 * Calls the model, runs the tools it asks for (in parallel), feeds the results back, and repeats
 * until it answers without tool calls or the agent's step limit is reached. Streams every part as
 * an event. A successful `handoff_to_<agent>` call switches the rest of the run to that agent (its
 * instructions, tools and model) after the step's results, with an `agent-change` event. Fills
 * `output` as it goes, so a caller that catches a throw still has the partial answer.
 */
export async function runAgentLoop(options: AgentLoopOptions, output: AgentOutput): Promise<void> {
  if (options.agent.workflow === 'research') return runResearch(options, output);
  const { signal, emit } = options;
  const messages = [...options.messages];
  let agent = options.agent;
  let model = options.model;

  for (let step = 0; step < agent.maxSteps; step++) {
    const tools = [...agent.tools, ...(options.findAgent && options.handoff ? handoffTools(agent, options.findAgent) : [])];
    const described = modelTools(tools);
    const window = applyContextPolicy(messages, agent.context, { system: agent.instructions, tools: described });
    const request = { system: agent.instructions, messages: window, ...(described.length ? { tools: described } : {}), signal };
    const { text, calls } = await streamModelStep(model, request, output, emit);
    if (calls.length === 0) return;

    const context = { userId: options.userId, sessionId: options.sessionId, runId: options.runId, signal };
    const results = await Promise.all(calls.map((call) => runTool(tools, call, context)));
    signal.throwIfAborted();
    messages.push({ role: 'assistant', content: text, toolCalls: calls });
    let next: AgentDefinition | undefined;
    for (const [index, call] of calls.entries()) {
      const result = results[index]!;
      output.parts.push({ type: 'tool-result', callId: call.callId, name: call.name, ...result });
      emit({ type: 'tool-result', callId: call.callId, ...result });
      messages.push({ role: 'tool', callId: call.callId, name: call.name, ...result });
      const target = handoffTarget(call.name);
      if (!next && target && !result.isError) next = options.findAgent?.(target);
    }
    if (next && options.handoff) {
      ({ agent, model } = options.handoff(next));
      emit({ type: 'agent-change', agent: agent.name });
    }
  }
}
