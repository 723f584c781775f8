import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.js';
import { collectEvents, textOf } from './helpers/stream.js';

describe('research agent', () => {
  it('plans, searches in parallel and writes, each stage announced, the searches streaming their calls and results', async () => {
    await using t = await startTestServer();
    expect(await t.client.agents.get.query({ agent: 'research' })).toMatchObject({ tools: [{ name: 'search_history' }] });
    await t.client.chat.send.mutate({ newSession: { title: 'Trip' }, content: 'we fly to Lisbon in May' });
    await t.client.chat.send.mutate({ newSession: { title: 'Hotels' }, content: 'the hotel in Porto is booked' });

    const { events } = await collectEvents((handlers) =>
      t.client.chat.stream.subscribe({ newSession: true, agent: 'research', content: 'lisbon; porto hotel', requestId: randomUUID() }, handlers),
    );
    const kinds = events.map((event) => event.data.type).filter((type) => type !== 'reasoning-delta' && type !== 'text-delta');
    expect(kinds).toEqual([
      'run-start',
      'agent-change',
      'agent-change',
      'tool-call',
      'tool-call',
      'tool-result',
      'tool-result',
      'agent-change',
      'message-end',
      'run-finish',
    ]);
    const stages = events.flatMap((event) => (event.data.type === 'agent-change' ? [event.data.agent] : []));
    expect(stages).toEqual(['planner', 'researcher', 'writer']);

    // The planner's echo ("Echo: lisbon; porto hotel") streams as reasoning, between planner and researcher.
    const index = (predicate: (type: string, agent?: string) => boolean) => events.findIndex((event) => predicate(event.data.type, (event.data as { agent?: string }).agent));
    const reasoning = events.filter((event) => event.data.type === 'reasoning-delta').map((event) => (event.data as { delta: string }).delta).join('');
    expect(reasoning).toBe('Echo: lisbon; porto hotel');
    expect(index((type) => type === 'reasoning-delta')).toBeGreaterThan(index((type, agent) => agent === 'planner'));
    expect(index((type) => type === 'reasoning-delta')).toBeLessThan(index((type, agent) => agent === 'researcher'));

    const calls = events.flatMap((event) => (event.data.type === 'tool-call' ? [event.data] : []));
    const results = events.flatMap((event) => (event.data.type === 'tool-result' ? [event.data] : []));
    expect(calls.map((call) => [call.name, call.input])).toEqual([
      ['search_history', { query: 'lisbon' }],
      ['search_history', { query: 'porto hotel' }],
    ]);
    expect(results.map((result) => result.callId).sort()).toEqual(calls.map((call) => call.callId).sort());
    const excerptsOf = (callId: string) =>
      (results.find((result) => result.callId === callId)!.output as { results: { excerpt: string }[] }).results.map((entry) => entry.excerpt);
    expect(excerptsOf(calls[0]!.callId)).toContain('we fly to Lisbon in May');
    expect(excerptsOf(calls[1]!.callId)).toContain('the hotel in Porto is booked');
    expect(results.every((result) => !result.isError)).toBe(true);

    // The writer answers last (local/echo reports the last tool result).
    expect(textOf(events)).toMatch(/^Tool search_history returned: /);
    const end = events.find((event) => event.data.type === 'message-end')!.data as { message: { agent: string; parts: { type: string }[]; sessionId: string } };
    expect(end.message.agent).toBe('research');
    expect(end.message.parts.map((part) => part.type)).toEqual(['reasoning', 'tool-call', 'tool-call', 'tool-result', 'tool-result', 'text']);

    // The stored research turn replays as valid history for the next turn.
    const next = await t.client.chat.send.mutate({ sessionId: end.message.sessionId, agent: 'chat', content: 'thanks' });
    expect(next).toMatchObject({ status: 'completed', message: { content: 'Echo: thanks' } });
  });

  it("searches for the user's question when the plan yields no query", async () => {
    await using t = await startTestServer();
    // `/long 0` makes the planner answer nothing at all.
    const outcome = await t.client.chat.send.mutate({ agent: 'research', content: '/long 0' });
    expect(outcome.status).toBe('completed');
    const call = outcome.message.parts.find((part) => part.type === 'tool-call') as { input: unknown } | undefined;
    expect(call?.input).toEqual({ query: '/long 0' });
  });
});
