import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.js';
import { collectEvents } from './helpers/stream.js';

describe('agents and built-in tools', () => {
  it('lists the built-in agents with their tools; agents.get of an unknown one is NOT_FOUND', async () => {
    await using t = await startTestServer();
    const agents = await t.client.agents.list.query();
    expect(agents.map((agent) => agent.name)).toEqual(['chat', 'assistant', 'research']);
    const assistant = await t.client.agents.get.query({ agent: 'assistant' });
    expect(assistant.tools.map((tool) => tool.name)).toEqual(['calculator', 'current_time', 'search_history']);
    expect(assistant).toMatchObject({ model: 'local/echo', handoffs: [], workflow: 'tools', maxSteps: 8, context: null, suggestions: true, reasoning: null, titles: 'words' });
    expect((await t.client.agents.get.query({ agent: 'research' })).workflow).toBe('research');
    await expect(t.client.agents.get.query({ agent: 'nobody' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('streams a tool call and its result, feeds the result back, and stores it all in history', async () => {
    await using t = await startTestServer();
    const { events } = await collectEvents((handlers) =>
      t.client.chat.stream.subscribe(
        { newSession: true, agent: 'assistant', content: '/tool calculator {"expression": "(2 + 3) * 4"}', requestId: randomUUID() },
        handlers,
      ),
    );
    const types = events.map((event) => event.data.type);
    expect(types.filter((type) => type === 'tool-call' || type === 'tool-result')).toEqual(['tool-call', 'tool-result']);
    const call = events.find((event) => event.data.type === 'tool-call')!.data as { callId: string; name: string; input: unknown };
    const result = events.find((event) => event.data.type === 'tool-result')!.data as { callId: string; output: unknown; isError: boolean };
    expect(call).toMatchObject({ name: 'calculator', input: { expression: '(2 + 3) * 4' } });
    expect(result).toEqual({ type: 'tool-result', callId: call.callId, output: { expression: '(2 + 3) * 4', result: 20 }, isError: false });
    const end = events.find((event) => event.data.type === 'message-end')!.data as { message: { content: string; parts: { type: string }[]; agent: string } };
    expect(end.message.content).toBe('Tool calculator returned: {"expression":"(2 + 3) * 4","result":20}');
    expect(end.message.parts.map((part) => part.type)).toEqual(['tool-call', 'tool-result', 'text']);
    expect(end.message.agent).toBe('assistant');
    const start = events[0]!.data as { sessionId: string };
    const { messages } = await t.client.sessions.history.query({ sessionId: start.sessionId });
    expect(messages[1]!.parts).toEqual(end.message.parts);
    // The next turn replays the stored call and result to the model without error.
    const next = await t.client.chat.send.mutate({ sessionId: start.sessionId, content: 'thanks' });
    expect(next).toMatchObject({ status: 'completed', message: { content: 'Echo: thanks', agent: 'assistant' } });
  });

  it('offline, local/echo calls the tool a message plainly asks for, without directives; the chat agent (no tools) just echoes', async () => {
    await using t = await startTestServer();
    const ask = (agent: string, content: string) => t.client.chat.send.mutate({ newSession: true, agent, content });
    const sum = await ask('assistant', 'What is 6 * 7?');
    expect(sum.message.parts).toMatchObject([{ type: 'tool-call', name: 'calculator', input: { expression: '6 * 7' } }, { type: 'tool-result', output: { result: 42 } }, { type: 'text' }]);
    expect(sum.message.content).toBe('Tool calculator returned: {"expression":"6 * 7","result":42}');
    const time = await ask('assistant', 'What time is it?');
    expect(time.message.parts[0]).toMatchObject({ type: 'tool-call', name: 'current_time' });
    await t.client.chat.send.mutate({ newSession: true, content: 'remember the lighthouse keeper' });
    const search = await ask('assistant', 'Search my chats for lighthouse');
    expect(search.message.parts[0]).toMatchObject({ type: 'tool-call', name: 'search_history', input: { query: 'lighthouse' } });
    expect(search.message.content).toContain('lighthouse keeper');
    expect((await ask('chat', 'What is 6 * 7?')).message.content).toBe('Echo: What is 6 * 7?');
  });

  it('turns bad input, an unknown tool and a failing tool into error results the model sees', async () => {
    await using t = await startTestServer();
    const cases = [
      ['/tool calculator {"expr": "1"}', 'invalid input'],
      ['/tool teleport {}', 'unknown tool teleport'],
      ['/tool calculator {"expression": "1 / 0"}', 'tool failed'],
    ] as const;
    for (const [content, message] of cases) {
      const outcome = await t.client.chat.send.mutate({ agent: 'assistant', content });
      expect(outcome.status).toBe('completed');
      const part = outcome.message.parts.find((candidate) => candidate.type === 'tool-result') as { output: string; isError: boolean };
      expect(part.isError).toBe(true);
      expect(part.output).toContain(message);
      expect(outcome.message.content).toMatch(/^Tool \S+ failed: /);
    }
  });

  it("search_history finds the caller's own earlier messages only", async () => {
    await using t = await startTestServer();
    const bob = await t.addUser('bob');
    await t.client.chat.send.mutate({ newSession: { title: 'Holiday plans' }, content: 'we fly to Lisbon in May' });
    await bob.client.chat.send.mutate({ newSession: { title: 'Secret' }, content: 'bob also goes to Lisbon' });
    const outcome = await t.client.chat.send.mutate({ agent: 'assistant', content: '/tool search_history {"query": "lisbon"}' });
    const result = outcome.message.parts.find((part) => part.type === 'tool-result') as { output: { results: { sessionTitle: string; excerpt: string }[] } };
    const excerpts = result.output.results.map((entry) => entry.excerpt);
    expect(excerpts).toContain('we fly to Lisbon in May');
    expect(excerpts.some((excerpt) => excerpt.includes('bob'))).toBe(false);
    expect(excerpts.some((excerpt) => excerpt.startsWith('/tool'))).toBe(false);
    expect(result.output.results.every((entry) => entry.sessionTitle === 'Holiday plans')).toBe(true);
  });

  it('current_time answers in UTC and in a time zone', async () => {
    await using t = await startTestServer();
    const outcome = await t.client.chat.send.mutate({ agent: 'assistant', content: '/tool current_time {"timeZone": "Asia/Tokyo"}' });
    const result = outcome.message.parts.find((part) => part.type === 'tool-result') as { output: { utc: string; local: string; timeZone: string } };
    expect(Math.abs(Date.parse(result.output.utc) - Date.now())).toBeLessThan(60_000);
    expect(result.output).toMatchObject({ timeZone: 'Asia/Tokyo', local: expect.stringMatching(/\d{2}:\d{2}:\d{2}/) });
  });
});

describe('JSON the wire format refuses', () => {
  it('a tool input with a constructor key still streams, is stored and is listed (keys renamed)', async () => {
    await using t = await startTestServer();
    const { events } = await collectEvents((handlers) =>
      t.client.chat.stream.subscribe(
        { newSession: true, agent: 'assistant', content: '/tool calculator {"constructor": {"prototype": 1}}', requestId: randomUUID() },
        handlers,
      ),
    );
    expect(events.at(-1)!.data.type).toBe('run-finish');
    const call = events.find((event) => event.data.type === 'tool-call')!.data as { input: unknown };
    expect(call.input).toEqual({ constructor_: { prototype_: 1 } });
    const start = events[0]!.data as { sessionId: string };
    const { messages } = await t.client.sessions.history.query({ sessionId: start.sessionId });
    expect(messages[1]!.parts[0]).toMatchObject({ type: 'tool-call', input: { constructor_: { prototype_: 1 } } });
  });

  it('session metadata with such keys is a bad request, so stored sessions always serialize', async () => {
    await using t = await startTestServer();
    // The typed client's own superjson refuses to send these keys, so go over raw HTTP.
    for (const metadata of [{ a: JSON.parse('{"constructor": 1}') }, JSON.parse('{"prototype": null}')]) {
      const response = await fetch(`${t.url}/trpc/sessions.create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ json: { metadata } }),
      });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain('__proto__, constructor or prototype');
    }
    expect((await t.client.sessions.list.query()).items).toEqual([]);
  });
});
