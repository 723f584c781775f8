import type { FinishReason, MessagePart, StreamEvent, Usage } from '@threadline/shared';
import type { AgentDefinition } from '../agents/types.js';
import { ProviderError, type ChatModel, type ModelMessage, type ModelToolCall } from '../providers/types.js';
import { modelTools, runTool } from './tools.js';

/** What an agent produced in one run, also when it stopped early: nothing is lost on failure. */
export interface AgentOutput {
  /** The answer's text. */
  text: string;
  /** Reasoning, tool calls, tool results and text, in order. */
  parts: MessagePart[];
  usage: Usage;
  finishReason: FinishReason | null;
  /** When the first token (text, reasoning or tool call) arrived. */
  firstTokenAt: number | null;
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
}

/**
 * Calls the model, runs the tools it asks for (in parallel), feeds the results back, and repeats
 * until it answers without tool calls or the agent's step limit is reached. Streams every part as
 * an event. Fills `output` as it goes, so a caller that catches a throw still has the partial answer.
 */
export async function runAgentLoop(options: AgentLoopOptions, output: AgentOutput): Promise<void> {
  const { agent, model, signal, emit } = options;
  const messages = [...options.messages];
  const tools = modelTools(agent);
  const markFirstToken = () => (output.firstTokenAt ??= Date.now());

  for (let step = 0; step < agent.maxSteps; step++) {
    const calls: ModelToolCall[] = [];
    let stepText = '';
    let finished = false;
    const stream = model.stream({ system: agent.instructions, messages, ...(tools.length ? { tools } : {}), signal });
    for await (const part of stream) {
      switch (part.type) {
        case 'text-delta':
          markFirstToken();
          stepText += part.delta;
          output.text += part.delta;
          appendText(output.parts, 'text', part.delta);
          emit({ type: 'text-delta', delta: part.delta });
          break;
        case 'reasoning-delta':
          markFirstToken();
          appendText(output.parts, 'reasoning', part.delta);
          emit({ type: 'reasoning-delta', delta: part.delta });
          break;
        case 'tool-call':
          markFirstToken();
          calls.push({ callId: part.callId, name: part.name, input: part.input });
          output.parts.push({ type: 'tool-call', callId: part.callId, name: part.name, input: part.input });
          emit({ type: 'tool-call', callId: part.callId, name: part.name, input: part.input });
          break;
        case 'usage':
          output.usage = addUsage(output.usage, part.usage);
          break;
        case 'finish':
          finished = true;
          output.finishReason = part.finishReason;
          break;
      }
    }
    if (!finished) {
      throw new ProviderError({ code: 'provider_protocol', message: `${model.id}: stream ended without a finish`, retryable: true });
    }
    if (calls.length === 0) return;

    const results = await Promise.all(
      calls.map((call) => runTool(agent, call, { userId: options.userId, sessionId: options.sessionId, runId: options.runId, signal })),
    );
    signal.throwIfAborted();
    messages.push({ role: 'assistant', content: stepText, toolCalls: calls });
    for (const [index, call] of calls.entries()) {
      const result = results[index]!;
      output.parts.push({ type: 'tool-result', callId: call.callId, name: call.name, ...result });
      emit({ type: 'tool-result', callId: call.callId, ...result });
      messages.push({ role: 'tool', callId: call.callId, name: call.name, ...result });
    }
  }
}

/** Adds a delta to the last part when it is of the same kind, else starts a new part. */
function appendText(parts: MessagePart[], type: 'text' | 'reasoning', delta: string): void {
  const last = parts.at(-1);
  if (last?.type === type) last.text += delta;
  else parts.push({ type, text: delta });
}

/** Sums usage over steps; optional counters stay absent unless some step reported them. */
export function addUsage(total: Usage, more: Usage): Usage {
  const sum: Usage = { inputTokens: total.inputTokens + more.inputTokens, outputTokens: total.outputTokens + more.outputTokens };
  for (const key of ['reasoningTokens', 'cachedInputTokens'] as const) {
    if (total[key] !== undefined || more[key] !== undefined) sum[key] = (total[key] ?? 0) + (more[key] ?? 0);
  }
  return sum;
}
