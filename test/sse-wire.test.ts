import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initTRPC, tracked, TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InMemoryEventLog, type PushingIterator } from '../server/src/events/index.js';
import { trackedEvents } from '../server/src/routers/tracked-events.js';
import { createSseResponder, SSE_RECONNECT_MS } from '../server/src/sse-responder.js';

/**
 * The subscription responder writes tRPC's SSE format itself (server/src/sse-responder.ts): here
 * the same router is served by tRPC's own handler and by the responder, and every byte of the
 * streams must agree (after the responder's `retry:` advice), so a tRPC upgrade that changes its
 * format fails here before any client notices.
 */
// isDev: false keeps stacks (which differ by caller) out of the error shapes compared.
/** How often a stream was asked to push (the responder does when it can; tRPC's handler pulls). */
let pushes = 0;
const t = initTRPC.create({ isDev: false, transformer: superjson, sse: { client: { reconnectAfterInactivityMs: 30_000 } } });
const router = t.router({
  events: t.procedure.input(z.object({ count: z.number(), lastEventId: z.string().nullish() })).subscription(async function* ({ input }) {
    for (let index = 1; index <= input.count; index++) yield tracked(String(index), { type: 'text-delta', delta: `word ${index}`, at: new Date(0) });
  }),
  untracked: t.procedure.input(z.object({ lastEventId: z.string().nullish() }).optional()).subscription(async function* () {
    yield { plain: 1 };
    yield tracked('7', { kept: true });
    yield { plain: 2 };
  }),
  refused: t.procedure.input(z.object({ why: z.string() })).subscription(async ({ input }) => {
    throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: input.why });
  }),
  // A run's events as the server serves them: the log's reader, which can push, in tracked envelopes;
  // some there before the stream starts, the rest appended while it is open.
  pushed: t.procedure.input(z.object({ count: z.number(), lastEventId: z.string().nullish() })).subscription(async ({ input, signal }) => {
    const log = new InMemoryEventLog(1_000);
    log.open('run');
    log.append('run', { type: 'text-delta', delta: 'word 1' });
    const appendRest = async () => {
      for (let index = 2; index <= input.count; index++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        log.append('run', { type: 'text-delta', delta: `word ${index}` });
      }
      log.append('run', { type: 'run-finish', usage: { inputTokens: 1, outputTokens: input.count }, finishReason: 'stop', durationMs: 5 });
    };
    void appendRest();
    const events = trackedEvents(log.follow('run', Number(input.lastEventId ?? 0), signal!));
    return {
      [Symbol.asyncIterator]() {
        const iterator: PushingIterator<unknown> = events[Symbol.asyncIterator]();
        const pushTo = iterator.pushTo!.bind(iterator);
        iterator.pushTo = (sink) => {
          pushes++;
          pushTo(sink);
        };
        return iterator;
      },
    };
  }),
  failsMidway: t.procedure.subscription(async function* () {
    yield tracked('1', 'first');
    throw new TRPCError({ code: 'CONFLICT', message: 'gone wrong' });
  }),
});

async function listen(handle: (request: IncomingMessage, response: ServerResponse) => void) {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc` };
}

let reference: Awaited<ReturnType<typeof listen>>;
let ours: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  const handler = createHTTPHandler({ router, basePath: '/trpc/', createContext: () => ({}) });
  reference = await listen((request, response) => handler(request, response));
  const responder = createSseResponder({ router, createContext: async () => ({}), onError: () => {}, errorHeaders: () => ({}), stallMs: 30_000 });
  ours = await listen((request, response) => {
    const path = decodeURIComponent(new URL(request.url!, 'http://x').pathname.slice('/trpc/'.length));
    if (responder.serves(request, path)) void responder.respond(request, response, path);
    else handler(request, response);
  });
});
afterAll(() => {
  reference.server.close();
  ours.server.close();
});

async function both(path: string, input: unknown, headers: Record<string, string> = {}) {
  const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
  const read = async (base: string) => {
    const response = await fetch(`${base}/${path}${query}`, { headers });
    return { status: response.status, type: response.headers.get('content-type'), cache: response.headers.get('cache-control'), body: await response.text() };
  };
  const [expected, actual] = [await read(reference.url), await read(ours.url)];
  const advice = `retry: ${SSE_RECONNECT_MS}\n\n`;
  expect(actual.body.startsWith(advice)).toBe(true);
  return { expected, actual: { ...actual, body: actual.body.slice(advice.length) } };
}

describe("the subscription responder speaks tRPC's SSE format byte for byte", () => {
  it('tracked events (with a Date through superjson), then the return event', async () => {
    const { expected, actual } = await both('events', { count: 3 });
    expect(expected.body).toContain('event: return');
    expect(actual).toEqual(expected);
  });

  it('resumes after Last-Event-Id the same way', async () => {
    const { expected, actual } = await both('events', { count: 2 }, { 'last-event-id': '1' });
    expect(actual).toEqual(expected);
  });

  it('untracked events after a tracked one restore its id', async () => {
    const { expected, actual } = await both('untracked', undefined, { 'last-event-id': '5' });
    expect(expected.body).toContain('event: restore-id');
    expect(actual).toEqual(expected);
  });

  it('a refusal before the first event, and invalid input, as serialized errors', async () => {
    for (const [path, input] of [['refused', { why: 'slow down' }], ['refused', { why: 42 }], ['events', 'not an object']] as const) {
      const { expected, actual } = await both(path, input);
      expect(expected.body).toContain('event: serialized-error');
      expect(actual).toEqual(expected);
    }
  });

  it('a failure after events have gone out', async () => {
    const { expected, actual } = await both('failsMidway', undefined);
    expect(actual).toEqual(expected);
  });

  it("a stream that pushes (a run's events from the log) gives the same bytes as one pulled by tRPC", async () => {
    pushes = 0;
    const { expected, actual } = await both('pushed', { count: 20 });
    expect(pushes).toBe(1);
    expect(expected.body.match(/"text-delta"/g)).toHaveLength(20);
    expect(expected.body).toContain('run-finish');
    expect(actual).toEqual(expected);
    const resumed = await both('pushed', { count: 5 }, { 'last-event-id': '3' });
    expect(resumed.expected.body).not.toContain('word 3');
    expect(resumed.actual).toEqual(resumed.expected);
  });
});
