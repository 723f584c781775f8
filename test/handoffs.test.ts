import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AgentDefinition } from '../server/src/agents/types.js';
import { startOpenAIFake } from './fakes/openai.js';
import { startTestServer } from './helpers/server.js';
import { collectEvents, textOf } from './helpers/stream.js';

const concierge = (model?: string): AgentDefinition => ({
  name: 'concierge',
  description: 'Greets the user and hands over to the right agent.',
  instructions: 'You are the concierge. Hand over to the assistant for anything needing tools.',
  tools: [],
  maxSteps: 4,
  handoffs: ['assistant', 'nobody-by-that-name'],
  ...(model ? { model } : {}),
});

describe('handoffs', () => {
  it('handoff_to_<agent> switches the run to that agent, which answers, and the session continues with it', async () => {
    await using t = await startTestServer();
    t.server.services.agents.register(concierge());
    const { events } = await collectEvents((handlers) =>
      t.client.chat.stream.subscribe({ newSession: true, agent: 'concierge', content: '/tool handoff_to_assistant {}', requestId: randomUUID() }, handlers),
    );
    expect(events.map((event) => event.data.type)).toEqual(['run-start', 'tool-call', 'tool-result', 'agent-change', 'text-delta', 'message-end', 'run-finish']);
    expect(events[0]!.data).toMatchObject({ agent: 'concierge' });
    expect(events[1]!.data).toMatchObject({ name: 'handoff_to_assistant' });
    expect(events[2]!.data).toMatchObject({ isError: false, output: { handoff: 'assistant' } });
    expect(events[3]!.data).toEqual({ type: 'agent-change', agent: 'assistant' });
    expect(textOf(events)).toBe('Tool handoff_to_assistant returned: {"handoff":"assistant","message":"The assistant agent takes over."}');
    const end = events[5]!.data as { message: { agent: string; parts: { type: string }[] } };
    expect(end.message.agent).toBe('assistant');
    expect(end.message.parts.map((part) => part.type)).toEqual(['tool-call', 'tool-result', 'text']);

    const sessionId = (events[0]!.data as { sessionId: string }).sessionId;
    expect((await t.client.sessions.get.query({ sessionId })).agent).toBe('assistant');
    // The next turn continues with the assistant (it has the calculator), unless a request names another agent.
    const next = await t.client.chat.send.mutate({ sessionId, content: '/tool calculator {"expression": "6 * 7"}' });
    expect(next.message).toMatchObject({ agent: 'assistant', content: 'Tool calculator returned: {"expression":"6 * 7","result":42}' });
    const named = await t.client.chat.send.mutate({ sessionId, agent: 'chat', content: 'hi' });
    expect(named.message).toMatchObject({ agent: 'chat', content: 'Echo: hi' });
    expect((await t.client.sessions.get.query({ sessionId })).agent).toBe('chat');
  });

  it('offers no handoff tool to an agent that lists none, and no tool for an unknown target', async () => {
    await using t = await startTestServer();
    t.server.services.agents.register(concierge());
    const chat = await t.client.chat.send.mutate({ newSession: true, content: '/tool handoff_to_assistant {}' });
    expect(chat.message).toMatchObject({ agent: 'chat', content: expect.stringMatching(/^Tool handoff_to_assistant failed: "unknown tool/) });
    const unknown = await t.client.chat.send.mutate({ newSession: true, agent: 'concierge', content: '/tool handoff_to_nobody-by-that-name {}' });
    expect(unknown.message).toMatchObject({ agent: 'concierge', content: expect.stringMatching(/^Tool handoff_to_nobody-by-that-name failed/) });
  });

  it("the provider sees the target's instructions and tools after the handoff", async () => {
    await using fake = await startOpenAIFake();
    fake.script({ toolCalls: [{ id: 'call_1', name: 'handoff_to_assistant', input: { reason: 'needs a calculator' } }] }, { text: ['Happy to help.'] });
    await using t = await startTestServer({ environment: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${fake.url}/v1`, THREADLINE_MODEL: 'openai/gpt-test' } });
    t.server.services.agents.register(concierge());
    const outcome = await t.client.chat.send.mutate({ newSession: { title: 'x' }, agent: 'concierge', content: 'what is 6 times 7?' });
    expect(outcome).toMatchObject({ status: 'completed', message: { agent: 'assistant', content: 'Happy to help.' } });

    const [first, second] = fake.requests.filter((request) => request.path === '/v1/chat/completions').map((request) => request.body);
    const toolNames = (body: { tools?: { function: { name: string } }[] }) => (body.tools ?? []).map((tool) => tool.function.name);
    expect(first.messages[0]).toEqual({ role: 'system', content: concierge().instructions });
    expect(toolNames(first)).toEqual(['handoff_to_assistant']);
    expect(second.messages[0]).toEqual({ role: 'system', content: t.server.services.agents.get('assistant').instructions });
    expect(toolNames(second)).toEqual(['calculator', 'current_time', 'search_history']);
    expect(second.messages.slice(-2).map((message: { role: string }) => message.role)).toEqual(['assistant', 'tool']);
  });
});
