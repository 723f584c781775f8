import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../client/src/client.js';
import { streamChat } from '../client/src/stream-chat.js';
import type { StreamEvent } from '../shared/src/index.js';
import { startProxy } from './helpers/proxy.js';
import { startTestServer } from './helpers/server.js';

const text = (events: StreamEvent[]) => events.map((event) => (event.type === 'text-delta' ? event.delta : '')).join('');

describe('streamChat', () => {
  it('yields typed events and settles with the stored message', async () => {
    await using t = await startTestServer();
    const stream = streamChat(t.client, { newSession: { title: 'typed' }, content: '/think ok /long 12' });
    const events: StreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const result = await stream.result;
    expect(events[0]!.type).toBe('run-start');
    expect(events.at(-1)!.type).toBe('run-finish');
    expect(result).toMatchObject({ status: 'completed', error: null, usage: { outputTokens: 12 } });
    expect(result.message!.content).toBe(text(events));
    const { messages } = await t.client.sessions.history.query({ sessionId: result.sessionId! });
    expect(messages[1]).toEqual({ ...result.message, siblingCount: 1, siblingIndex: 1, previousSiblingId: null, nextSiblingId: null });
  });

  it('survives connections cut mid-stream: one complete, gap-free answer from one run', async () => {
    await using t = await startTestServer({ environment: { THREADLINE_LOCAL_DELAY_MS: '4' } });
    await using proxy = await startProxy(t.url);
    const client = createThreadlineClient({ url: proxy.url, token: t.token });
    const stream = streamChat(client, { newSession: true, content: '/long 200' }, { reconnectDelayMs: 50 });
    const events: StreamEvent[] = [];
    for await (const event of stream) {
      events.push(event);
      if (event.type === 'text-delta' && events.length === 20) {
        // The link's own reconnect meets a proxy error and gives up; streamChat reconnects itself.
        proxy.refuseNext(1);
        proxy.cutAll();
      }
    }
    const result = await stream.result;
    expect(proxy.connections()).toBeGreaterThanOrEqual(3);
    expect(result.status).toBe('completed');
    expect(text(events)).toBe(result.message!.content);
    expect(result.message!.content.split(' ')).toHaveLength(200);
    expect(events.filter((event) => event.type === 'run-start')).toHaveLength(1);
    const { messages } = await t.client.sessions.history.query({ sessionId: result.sessionId! });
    expect(messages).toHaveLength(2);
  });

  it('SSE responses tell clients to reconnect after 500 ms rather than the 3 s EventSource default', async () => {
    await using t = await startTestServer();
    const input = encodeURIComponent(JSON.stringify({ json: { content: 'hi', requestId: crypto.randomUUID() } }));
    const controller = new AbortController();
    const response = await fetch(`${t.url}/trpc/chat.stream?input=${input}`, {
      headers: { authorization: `Bearer ${t.token}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    const { value } = await response.body!.getReader().read();
    controller.abort();
    expect(new TextDecoder().decode(value)).toMatch(/^retry: 500\n\n/);
    const plain = await fetch(`${t.url}/trpc/system.health`);
    expect(await plain.text()).not.toContain('retry:');
  });

  it('throws errors that asking again cannot fix, and rejects the result', async () => {
    await using t = await startTestServer();
    const stream = streamChat(t.client, { sessionId: '01900000-0000-7000-8000-000000000000', content: 'hello' });
    const reading = (async () => {
      for await (const _event of stream) {
        // nothing arrives
      }
    })();
    await expect(reading).rejects.toBeInstanceOf(TRPCClientError);
    await expect(stream.result).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('reports a failed run in the result instead of throwing', async () => {
    await using t = await startTestServer();
    const stream = streamChat(t.client, { newSession: true, content: '/fail auth' });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual(['run-start', 'run-error']);
    expect(await stream.result).toMatchObject({ status: 'failed', error: { code: 'provider_auth', retryable: false }, message: null });
  });
});
