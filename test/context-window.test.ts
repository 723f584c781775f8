import { describe, expect, it } from 'vitest';
import type { AgentDefinition } from '../server/src/agents/types.js';
import { startOpenAIFake } from './fakes/openai.js';
import { startTestServer } from './helpers/server.js';

/** A Chat Completions message as the fake received it. */
interface WireMessage {
  role: string;
  content: string | null;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}

/** The same estimate the policy documents: characters / 4 rounded up, plus 4 per message. */
function estimate(messages: WireMessage[]): number {
  let tokens = 0;
  for (const message of messages) {
    let characters = message.content?.length ?? 0;
    for (const call of message.tool_calls ?? []) characters += call.id.length + call.function.name.length + call.function.arguments.length;
    tokens += Math.ceil(characters / 4) + 4;
  }
  return tokens;
}

const INSTRUCTIONS = 'You are a test agent with a small context window. Answer briefly.';

function windowed(name: string, context: AgentDefinition['context']): AgentDefinition {
  return { name, description: 'test agent', instructions: INSTRUCTIONS, model: 'openai/gpt-test', tools: [], maxSteps: 4, context };
}

describe('context window', () => {
  it('keeps a long session within the agent budget, newest first, tool calls and results together', async () => {
    await using fake = await startOpenAIFake();
    fake.script({ text: ['ok'] });
    await using t = await startTestServer({
      environment: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${fake.url}/v1`, THREADLINE_MODEL: 'local/echo' },
    });
    const budgets = Array.from({ length: 24 }, (_, index) => 120 + index * 45);
    for (const budget of budgets) t.server.services.agents.register(windowed(`budget-${budget}`, { maxTokens: budget }));
    t.server.services.agents.register(windowed('last-five', { lastMessages: 5 }));
    t.server.services.agents.register(windowed('unlimited', undefined));

    // 60 exchanges on the built-in model; every fifth one is a calculator call with its result.
    const session = await t.client.sessions.create.mutate({ title: 'long' });
    for (let index = 0; index < 60; index++) {
      const content = index % 5 === 2 ? `/tool calculator {"expression": "${index} + 1"}` : `/long 30 question ${index}`;
      const outcome = await t.client.chat.send.mutate({ sessionId: session.id, agent: index % 5 === 2 ? 'assistant' : 'chat', content });
      expect(outcome.status).toBe('completed');
    }

    const lastRequest = () => fake.requests.at(-1)!.body as { messages: WireMessage[] };
    await t.client.chat.send.mutate({ sessionId: session.id, agent: 'unlimited', content: 'everything please' });
    const everything = lastRequest().messages;
    expect(everything.filter((message) => message.role === 'user')).toHaveLength(61);

    let droppedCalls = 0;
    let keptCalls = 0;
    for (const budget of budgets) {
      const content = `latest question for ${budget}`;
      const outcome = await t.client.chat.send.mutate({ sessionId: session.id, agent: `budget-${budget}`, content });
      expect(outcome.status).toBe('completed');
      const messages = lastRequest().messages;
      expect(messages[0]).toEqual({ role: 'system', content: INSTRUCTIONS });
      expect(messages.at(-1)).toEqual({ role: 'user', content });
      expect(messages[1]!.role).toBe('user');
      expect(estimate(messages)).toBeLessThanOrEqual(budget);
      expect(messages.length).toBeLessThan(everything.length);

      const callIds = messages.flatMap((message) => (message.tool_calls ?? []).map((call) => call.id));
      const resultIds = messages.filter((message) => message.role === 'tool').map((message) => message.tool_call_id);
      expect(resultIds.sort()).toEqual(callIds.sort());
      // Each call is immediately followed by its result.
      for (const [index, message] of messages.entries()) {
        if (message.tool_calls) expect(messages[index + 1]).toMatchObject({ role: 'tool', tool_call_id: message.tool_calls[0]!.id });
      }
      keptCalls += callIds.length;
      // The next older message beyond the window: was a tool exchange the one left out?
      const oldestKept = messages[1]!;
      const position = everything.findIndex((message) => message.role === 'user' && message.content === oldestKept.content);
      if (position > 1 && everything.slice(Math.max(1, position - 4), position).some((message) => message.role === 'tool')) droppedCalls++;
    }
    // The budgets are varied enough that tool exchanges were both kept and cut at the edge.
    expect(keptCalls).toBeGreaterThan(0);
    expect(droppedCalls).toBeGreaterThan(0);

    await t.client.chat.send.mutate({ sessionId: session.id, agent: 'last-five', content: 'only five' });
    const lastFive = lastRequest().messages;
    expect(lastFive.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(lastFive.at(-1)).toEqual({ role: 'user', content: 'only five' });
  });
});
