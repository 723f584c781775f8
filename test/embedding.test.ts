import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeThreadlineClient, createThreadlineClient } from '../client/src/client.js';
import { createThreadline, type Threadline } from '../server/src/index.js';

// Threadline as a library (`createThreadline` from @threadline/server): the typed API called in
// process, and its HTTP handler mounted in a plain node:http server and in an Express app.

let dataDir: string;
let threadline: Threadline;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'threadline-embed-'));
  threadline = await createThreadline({ dataDir, environment: { THREADLINE_LOCAL_DELAY_MS: '0', LOG_LEVEL: 'silent' } });
});
afterAll(async () => {
  await threadline?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Listens on a free port of 127.0.0.1; resolves with the base URL. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Server) => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));

describe('createThreadline: in process', () => {
  it('calls the typed API without HTTP: mutations and queries as functions, streams as async iterables', async () => {
    const alice = await threadline.caller('alice');
    const session = await alice.sessions.create({ title: 'Embedded' });
    const answer = await alice.chat.send({ sessionId: session.id, content: 'hello from a program' });
    expect(answer).toMatchObject({ status: 'completed', message: { content: 'Echo: hello from a program' } });

    const events = [];
    for await (const event of await alice.chat.stream({ sessionId: session.id, content: '/long 5', requestId: randomUUID() })) events.push(event);
    const types = events.map((event) => event.data.type);
    expect(types[0]).toBe('run-start');
    expect(types.at(-1)).toBe('run-finish');
    expect(events.map((event) => (event.data.type === 'text-delta' ? event.data.delta : '')).join('')).toBe('lorem ipsum dolor sit amet');
    expect((await alice.sessions.history({ sessionId: session.id })).messages).toHaveLength(4);
  });

  it('keeps users apart as over HTTP: another user’s session is NOT_FOUND; bad input is a typed error', async () => {
    const alice = await threadline.caller('alice');
    const bob = await threadline.caller('bob');
    const session = await alice.sessions.create({});
    await expect(bob.sessions.get({ sessionId: session.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(alice.sessions.get({ sessionId: 'not an id' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await bob.sessions.list({})).items).toEqual([]);
  });
});

describe('createThreadline: its handler in your server', () => {
  it('serves a plain node:http server, SSE streams and the WebSocket transport on its port included', async () => {
    const server = createServer(threadline.handler);
    threadline.attachWebSocket(server);
    const url = await listen(server);
    const token = await threadline.createToken('carol');
    try {
      const client = createThreadlineClient({ url, token });
      const sent = await client.chat.send.mutate({ newSession: true, content: 'over http' });
      expect(sent.message.content).toBe('Echo: over http');
      // What a program does in process, the HTTP user sees, and the reverse.
      const carol = await threadline.caller('carol');
      expect((await carol.sessions.list({})).items.map((session) => session.id)).toContain(sent.sessionId);
      const overSocket = createThreadlineClient({ url, token, transport: 'websocket' });
      expect((await overSocket.sessions.get.query({ sessionId: sent.sessionId! })).messageCount).toBe(2);
      await closeThreadlineClient(overSocket);
      expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await close(server);
    }
  });

  it('mounts in Express beside the app’s own routes, at the root or under a prefix', async () => {
    const app = express();
    app.get('/own', (_request, response) => void response.json({ mine: true }));
    // As README's example mounts it, WebSocket included.
    const server = createServer(app);
    threadline.attachWebSocket(server, { path: '/chat/trpc' });
    app.use('/chat', threadline.handler);
    app.use(threadline.handler);
    app.use((_request, response) => void response.status(404).json({ from: 'the app' }));
    const url = await listen(server);
    const token = await threadline.createToken('dave');
    try {
      expect(await (await fetch(`${url}/own`)).json()).toEqual({ mine: true });
      // Paths that are not Threadline's go on to the app's own handlers.
      expect(await (await fetch(`${url}/nothing-here`)).json()).toEqual({ from: 'the app' });
      for (const base of [url, `${url}/chat`]) {
        const client = createThreadlineClient({ url: base, token });
        const { events } = await new Promise<{ events: string[] }>((resolve, reject) => {
          const events: string[] = [];
          const subscription = client.chat.stream.subscribe(
            { newSession: true, content: `through express at ${base}`, requestId: randomUUID() },
            {
              onData: ({ data }) => {
                events.push(data.type);
                if (data.type === 'run-finish') {
                  subscription.unsubscribe();
                  resolve({ events });
                }
              },
              onError: reject,
            },
          );
        });
        expect(events[0]).toBe('run-start');
        expect(events).toContain('text-delta');
      }
      expect((await (await threadline.caller('dave')).sessions.list({})).items).toHaveLength(2);
      const overSocket = createThreadlineClient({ url: `${url}/chat`, token, transport: 'websocket' });
      expect((await overSocket.sessions.list.query()).items).toHaveLength(2);
      await closeThreadlineClient(overSocket);
    } finally {
      await close(server);
    }
  });
});
