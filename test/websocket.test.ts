import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeThreadlineClient, createThreadlineClient, type ThreadlineClient } from '../client/src/client.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { collectEvents, textOf } from './helpers/stream.js';
import { startTcpFaultProxy } from './helpers/tcp-fault-proxy.js';

// The same router over WebSocket (tRPC's ws adapter) on the server's own port, through
// `createThreadlineClient({ transport: 'websocket' })`: calls, streams, resuming after the socket
// drops, cancel, and who may connect.

let t: TestServer;
const clients: ThreadlineClient[] = [];
const webSocketClient = (url: string, token?: string) => {
  const client = createThreadlineClient({ url, ...(token ? { token } : {}), transport: 'websocket' });
  clients.push(client);
  return client;
};

beforeAll(async () => {
  t = await startTestServer({ environment: { THREADLINE_CORS_ORIGINS: 'http://allowed.example' } });
});
afterAll(async () => {
  await Promise.all(clients.map((client) => closeThreadlineClient(client)));
  await t?.close();
});

describe('the WebSocket transport', () => {
  it('serves queries, mutations and streams on the same port, with the token from the connection params', async () => {
    const client = webSocketClient(t.url, t.token);
    const session = await client.sessions.create.mutate({ title: 'over a socket' });
    const { events, error } = await collectEvents((handlers) =>
      client.chat.stream.subscribe({ sessionId: session.id, content: '/long 12', requestId: randomUUID() }, handlers),
    );
    expect(error).toBeUndefined();
    expect(events[0]!.data).toMatchObject({ type: 'run-start', sessionId: session.id });
    expect(events.at(-1)!.data.type).toBe('run-finish');
    expect(textOf(events).split(' ')).toHaveLength(12);
    // What went over the socket is what is stored, and any transport reads it.
    const { messages } = await t.client.sessions.history.query({ sessionId: session.id });
    expect(messages.map((message) => message.content)).toEqual(['/long 12', textOf(events)]);
    expect((await client.sessions.get.query({ sessionId: session.id })).messageCount).toBe(2);
  });

  it('refuses authed calls without a valid token, as over HTTP; public ones answer', async () => {
    const anonymous = webSocketClient(t.url);
    expect((await anonymous.system.info.query()).name).toBe('threadline');
    await expect(anonymous.sessions.list.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    const wrong = webSocketClient(t.url, `tl_${'x'.repeat(43)}`);
    await expect(wrong.sessions.list.query()).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
  });

  it('a stream resumes after the socket drops, from its last event id: every event once, in order', async () => {
    const port = Number(new URL(t.url).port);
    await using proxy = await startTcpFaultProxy({ host: '127.0.0.1', port });
    const client = webSocketClient(`http://${proxy.host}:${proxy.port}`, t.token);
    let cut = false;
    const { events, error } = await collectEvents(
      (handlers) => client.chat.stream.subscribe({ newSession: true, content: '/slow 20 /long 60', requestId: randomUUID() }, handlers),
      (_event, received) => {
        if (!cut && received.filter((event) => event.data.type === 'text-delta').length === 10) {
          cut = true;
          proxy.cut();
          setTimeout(() => proxy.restore(), 300);
        }
      },
    );
    expect(cut).toBe(true);
    expect(error).toBeUndefined();
    expect(events.at(-1)!.data.type).toBe('run-finish');
    const ids = events.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    const end = events.find((event) => event.data.type === 'message-end')!.data as { message: { content: string } };
    expect(textOf(events)).toBe(end.message.content);
    expect(end.message.content.split(' ')).toHaveLength(60);
  });

  it('cancels a run over the socket, and the cancel reaches the stream', async () => {
    const client = webSocketClient(t.url, t.token);
    const requestId = randomUUID();
    const { events } = await collectEvents(
      (handlers) => client.chat.stream.subscribe({ newSession: true, content: '/slow 20 /long 500', requestId }, handlers),
      (event, received) => {
        if (received.length === 3) void client.runs.cancel.mutate({ requestId });
      },
    );
    expect(events.at(-1)!.data.type).toBe('run-cancel');
    const runId = (events[0]!.data as { runId: string }).runId;
    expect(await t.client.runs.get.query({ runId })).toMatchObject({ status: 'cancelled' });
  });

  it('refuses an upgrade from an origin THREADLINE_CORS_ORIGINS does not list, and any other path', async () => {
    const status = (url: string, origin?: string) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(url, origin ? { origin } : {});
        socket.on('open', () => (socket.close(), resolve(101)));
        socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        socket.on('error', () => {});
      });
    const base = t.url.replace(/^http/, 'ws');
    expect(await status(`${base}/trpc`, 'http://evil.example')).toBe(403);
    expect(await status(`${base}/trpc`, 'http://allowed.example')).toBe(101);
    expect(await status(`${base}/elsewhere`)).toBe(404);
  });
});
