/**
 * `npm run bench`: streaming throughput of Threadline against a bare tRPC baseline in the same
 * process. Both serve N events over the same stack (node:http, tRPC SSE, superjson, tracked ids,
 * the real client); the baseline is a subscription that yields N text deltas straight from a loop,
 * Threadline runs `local/echo` with `/long N` through the run engine, event log and store. The
 * ratio (Threadline time / baseline time) is what a user waits for the same answer; Threadline
 * merges deltas that arrive within one event-loop turn into one frame (runs/delta-coalescer.ts), so
 * the frame counts are printed too. With BENCH_REDIS_URL (or TEST_REDIS_URL) set, a second
 * Threadline with REDIS_URL (run events also written to Redis Streams, as several instances need)
 * is timed too, against the in-memory one. Absolute numbers depend on the machine: compare ratios.
 */
import { performance } from 'node:perf_hooks';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTRPCClient, httpSubscriptionLink, splitLink, httpBatchLink } from '@trpc/client';
import { initTRPC, tracked } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import { z } from 'zod';
import { startTestServer } from '../test/helpers/server.js';

const WORDS = Number(process.env.BENCH_WORDS ?? 4000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** The baseline: a bare tRPC subscription yielding `count` tracked text deltas. */
async function startBaseline() {
  const t = initTRPC.create({ transformer: superjson });
  const router = t.router({
    stream: t.procedure.input(z.object({ count: z.number(), lastEventId: z.string().nullish() })).subscription(async function* ({ input }) {
      for (let index = 1; index <= input.count; index++) {
        yield tracked(String(index), { type: 'text-delta' as const, delta: index === 1 ? 'lorem' : ' lorem' });
        if (index % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }),
    ping: t.procedure.query(() => 'pong'),
  });
  const handler = createHTTPHandler({ router, basePath: '/trpc/' });
  const server = createServer((request, response) => handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`;
  const client = createTRPCClient<typeof router>({
    links: [splitLink({ condition: (op) => op.type === 'subscription', true: httpSubscriptionLink({ url, transformer: superjson, EventSource }), false: httpBatchLink({ url, transformer: superjson }) })],
  });
  const stream = () =>
    new Promise<number>((resolve, reject) => {
      let received = 0;
      const subscription = client.stream.subscribe({ count: WORDS }, {
        onData() {
          if (++received === WORDS) {
            subscription.unsubscribe();
            resolve(received);
          }
        },
        onError: reject,
      });
    });
  return { stream, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let frames = 0;
async function timeStreams(stream: () => Promise<number>): Promise<number> {
  const started = performance.now();
  frames = (await Promise.all(Array.from({ length: STREAMS }, stream))).reduce((sum, count) => sum + count, 0);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const baseline = await startBaseline();
await using threadline = await startTestServer();
const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL;
await using shared = redisUrl ? await startTestServer({ environment: { REDIS_URL: redisUrl, THREADLINE_REDIS_PREFIX: `bench-${crypto.randomUUID()}` } }) : undefined;

/** One answer of WORDS words streamed from `server`; resolves to the frames received. */
const answerFrom = (server: typeof threadline) => () =>
  new Promise<number>((resolve, reject) => {
    let received = 0;
    const subscription = server.client.chat.stream.subscribe({ content: `/long ${WORDS}`, requestId: crypto.randomUUID() }, {
      onData({ data }) {
        received++;
        if (data.type === 'run-finish' || data.type === 'run-error') {
          subscription.unsubscribe();
          resolve(received);
        }
      },
      onError: reject,
    });
  });

const threadlineStream = answerFrom(threadline);
const sharedStream = shared && answerFrom(shared);

// Warm up every path (JIT, connections, the database).
await timeStreams(baseline.stream);
await timeStreams(threadlineStream);
if (sharedStream) await timeStreams(sharedStream);
const baselineTimes: number[] = [];
const threadlineTimes: number[] = [];
const sharedTimes: number[] = [];
let baselineFrames = 0;
let threadlineFrames = 0;
for (let round = 0; round < ROUNDS; round++) {
  baselineTimes.push(await timeStreams(baseline.stream));
  baselineFrames = frames;
  threadlineTimes.push(await timeStreams(threadlineStream));
  threadlineFrames = frames;
  if (sharedStream) sharedTimes.push(await timeStreams(sharedStream));
}
await baseline.close();

const baselineMs = median(baselineTimes);
const threadlineMs = median(threadlineTimes);
const events = WORDS * STREAMS;
console.log(`streaming ${STREAMS} concurrent answers of ${WORDS} words (median of ${ROUNDS} rounds)`);
console.log(`  baseline (bare tRPC subscription): ${baselineMs.toFixed(0)} ms, ${baselineFrames} frames, ${((events / baselineMs) * 1000).toFixed(0)} words/s`);
console.log(`  threadline (engine + log + store): ${threadlineMs.toFixed(0)} ms, ${threadlineFrames} frames, ${((events / threadlineMs) * 1000).toFixed(0)} words/s`);
console.log(`  ratio threadline / baseline: ${(threadlineMs / baselineMs).toFixed(2)}x`);
if (sharedTimes.length > 0) {
  const sharedMs = median(sharedTimes);
  console.log(`  threadline with Redis Streams (REDIS_URL): ${sharedMs.toFixed(0)} ms, ${((events / sharedMs) * 1000).toFixed(0)} words/s`);
  console.log(`  ratio with Redis / in memory: ${(sharedMs / threadlineMs).toFixed(2)}x`);
}
