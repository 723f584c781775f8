import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import type { InMemoryEventLog } from '../../server/src/events/index.js';
import { errorOf } from '../helpers/errors.js';
import { startTestServer } from '../helpers/server.js';
import { collectEvents, textOf } from '../helpers/stream.js';


describe('fault: one user or one answer exhausting the server', () => {
  it('an answer is cut at THREADLINE_MAX_ANSWER_BYTES and ends as a model at its limit would (finish reason length), stored whole up to there', async () => {
    await using t = await startTestServer({ environment: { THREADLINE_MAX_ANSWER_BYTES: '2000' } });
    const { events } = await collectEvents((handlers) => t.client.chat.stream.subscribe({ newSession: true, content: '/long 100000', requestId: randomUUID() }, handlers));
    const finish = events.at(-1)!.data;
    expect(finish).toMatchObject({ type: 'run-finish', finishReason: 'length' });
    const runId = (events[0]!.data as { runId: string }).runId;
    const run = await t.client.runs.get.query({ runId });
    expect(run).toMatchObject({ status: 'completed', finishReason: 'length' });
    const { messages } = await t.client.sessions.history.query({ sessionId: run.sessionId! });
    expect(messages[1]!.content).toBe(textOf(events));
    expect(Buffer.byteLength(messages[1]!.content)).toBeLessThanOrEqual(2000);
    expect(Buffer.byteLength(messages[1]!.content)).toBeGreaterThan(1500);
  });

  it("finished runs' events are kept in memory by size: the oldest go first, and their readers replay them from the store", async () => {
    await using t = await startTestServer({ environment: { THREADLINE_EVENT_MEMORY_BYTES: '300000' } });
    const log = t.server.services.log as InMemoryEventLog;
    const runIds: string[] = [];
    for (let index = 0; index < 8; index++) runIds.push((await t.client.chat.send.mutate({ newSession: true, content: '/long 2000' })).runId);
    expect(log.endedMemory()).toBeGreaterThan(0);
    expect(log.endedMemory()).toBeLessThanOrEqual(300_000);
    expect(await log.has(runIds[0]!)).toBe(false);
    expect(await log.has(runIds.at(-1)!)).toBe(true);
    const replayed = await collectEvents((handlers) => t.client.runs.events.subscribe({ runId: runIds[0]! }, handlers));
    expect(replayed.events.map((event) => event.data.type)).toEqual(['run-start', 'message-end', 'run-finish']);
  });

  it("one user holds at most 3/4 of a provider's slots: another user's short run starts at once beside six long ones", async () => {
    await using t = await startTestServer({ environment: { THREADLINE_CONCURRENCY_LOCAL: '4' } });
    const long = Array.from({ length: 6 }, () => t.client.chat.send.mutate({ newSession: true, content: '/slow 100 /long 80' }));
    await expect.poll(async () => (await t.client.system.status.query()).queues.find((queue) => queue.provider === 'local'), { timeout: 10_000 }).toMatchObject({ running: 3, queued: 3 });
    const { client: bob } = await t.addUser('bob');
    const short = await bob.chat.send.mutate({ newSession: true, content: 'quick one' });
    expect(short.status).toBe('completed');
    // Bob was not kept waiting for Alice's: hers are still going.
    expect((await t.client.runs.list.query({ status: ['queued', 'running'] })).items.length).toBeGreaterThan(0);
    for (const run of await t.client.runs.list.query({ status: ['queued', 'running'] }).then((page) => page.items)) await t.client.runs.cancel.mutate({ runId: run.id });
    await Promise.allSettled(long);
  });

  it("a user's runs waiting to start are bounded (TOO_MANY_REQUESTS with retryAfterMs and Retry-After), and other users are not", async () => {
    await using t = await startTestServer({ environment: { THREADLINE_CONCURRENCY_LOCAL: '1', THREADLINE_MAX_QUEUED_RUNS: '3' } });
    const running = t.client.chat.send.mutate({ newSession: true, content: '/slow 100 /long 100' });
    await expect.poll(async () => (await t.client.system.status.query()).activeRuns, { timeout: 10_000 }).toBe(1);
    const queued = Array.from({ length: 3 }, () => t.client.chat.send.mutate({ newSession: true, content: 'later' }));
    await expect.poll(async () => (await t.client.system.status.query()).queuedRuns, { timeout: 10_000 }).toBe(3);
    const refused = await errorOf(t.client.chat.send.mutate({ newSession: true, content: 'one too many' }));
    expect(refused.code).toBe('TOO_MANY_REQUESTS');
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    // Plain HTTP clients get Retry-After.
    const response = await fetch(`${t.url}/trpc/chat.send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(superjson.serialize({ newSession: true, content: 'plain' })),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    // Bob is not limited by Alice's queue (his run queues for the slot like any other).
    const { client: bob } = await t.addUser('bob');
    const bobs = bob.chat.send.mutate({ newSession: true, content: 'mine' });
    for (const run of (await t.client.runs.list.query({ status: ['queued', 'running'] })).items) await t.client.runs.cancel.mutate({ runId: run.id });
    expect((await bobs).status).toBe('completed');
    await Promise.allSettled([running, ...queued]);
  });

  it('an HTTP batch is bounded (THREADLINE_MAX_BATCH); the client splits larger ones by itself', async () => {
    await using t = await startTestServer({ environment: { THREADLINE_MAX_BATCH: '50' } });
    const paths = Array.from({ length: 60 }, () => 'sessions.create').join(',');
    const input = Object.fromEntries(Array.from({ length: 60 }, (_, index) => [index, superjson.serialize({ title: `s${index}` })]));
    const response = await fetch(`${t.url}/trpc/${paths}?batch=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    expect(response.status).toBe(400);
    expect((await t.client.sessions.list.query({ limit: 100 })).items).toHaveLength(0);
    const created = await Promise.all(Array.from({ length: 60 }, (_, index) => t.client.sessions.create.mutate({ title: `s${index}` })));
    expect(created).toHaveLength(60);
  });

  it('a reader that stops reading is disconnected once stalled (THREADLINE_STREAM_STALL_MS); one that reads gets everything', async () => {
    // An answer far larger than a socket's buffers hold.
    await using t = await startTestServer({ environment: { THREADLINE_STREAM_STALL_MS: '500', THREADLINE_MAX_ANSWER_BYTES: String(64 * 1024 * 1024) } });
    const { runId } = await t.client.chat.send.mutate({ newSession: true, content: '/long 999999' });
    // A client that asks for the run's events and stops reading after the head of the answer.
    const url = new URL(t.url);
    const input = encodeURIComponent(JSON.stringify(superjson.serialize({ runId })));
    const socket = connect(Number(url.port), url.hostname);
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(`GET /trpc/runs.events?input=${input} HTTP/1.1\r\nhost: ${url.host}\r\naccept: text/event-stream\r\nauthorization: Bearer ${t.token}\r\n\r\n`);
    let received = await new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    socket.pause();
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    // Reading again: what the socket buffered, then the end the server made: never the run's end.
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.resume();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(received).not.toContain('run-finish');
    // A reader that reads gets the whole run.
    const { events } = await collectEvents((handlers) => t.client.runs.events.subscribe({ runId }, handlers));
    expect(events.at(-1)!.data.type).toBe('run-finish');
    expect(textOf(events).split(' ')).toHaveLength(999_999);
  });
});
