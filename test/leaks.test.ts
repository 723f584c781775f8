import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.js';

/** Timers and sockets this process holds now. */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

describe('subscriptions do not leak', () => {
  it('after 1,000 subscribe/unsubscribe cycles the readers, timers and sockets are back to their baseline; pings keep streams alive', async () => {
    // A thousand requests of one user in well under a minute: its requests per minute unlimited (limits have their own tests).
    await using t = await startTestServer({ environment: { THREADLINE_LIMIT_REQUESTS_PER_MINUTE: '0' } });
    const { runId } = await new Promise<{ runId: string }>((resolve) => {
      const subscription = t.client.chat.stream.subscribe(
        // Still writing while the readers come and go, slowly: each new reader is replayed the whole
        // backlog, so a fast writer made every cycle dearer the longer a busy machine took.
        { content: '/slow 500 /long 5000', requestId: randomUUID() },
        {
          onData({ data }) {
            if (data.type === 'run-start') {
              subscription.unsubscribe();
              resolve({ runId: data.runId });
            }
          },
        },
      );
    });
    const { log } = t.server.services;
    await expect.poll(() => log.readerCount()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const baseline = resources();

    // A raw SSE reader of a quiet run (11 s between words), held open for longer than the ping
    // interval (10 s), sees `event: ping`.
    const quiet = await t.client.chat.send.mutate({ content: 'warm up' }).then(() =>
      new Promise<string>((resolve) => {
        const subscription = t.client.chat.stream.subscribe(
          { content: '/slow 11000 /long 3', requestId: randomUUID() },
          { onData: ({ data }) => data.type === 'run-start' && (subscription.unsubscribe(), resolve(data.runId)) },
        );
      }),
    );
    const pingSeen = (async () => {
      const input = encodeURIComponent(JSON.stringify({ json: { runId: quiet } }));
      const controller = new AbortController();
      const response = await fetch(`${t.url}/trpc/runs.events?input=${input}`, {
        headers: { authorization: `Bearer ${t.token}`, accept: 'text/event-stream' },
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const deadline = setTimeout(() => controller.abort(), 15_000);
      try {
        while (!text.includes('event: ping')) {
          const { value, done } = await reader.read();
          if (done) break;
          text += decoder.decode(value);
        }
      } catch {
        // aborted at the deadline
      } finally {
        clearTimeout(deadline);
        controller.abort();
      }
      return text.includes('event: ping');
    })();

    const cycles = 1000;
    const parallel = 4;
    let completed = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (completed < cycles) {
          completed++;
          await new Promise<void>((resolve, reject) => {
            const subscription = t.client.runs.events.subscribe(
              { runId },
              {
                onData() {
                  subscription.unsubscribe();
                  resolve();
                },
                onError: reject,
              },
            );
          });
        }
      }),
    );
    expect(await pingSeen).toBe(true);

    await expect.poll(() => log.readerCount()).toBe(0);
    await expect
      .poll(resources)
      .toSatisfy((now: Record<string, number>) => (now.Timeout ?? 0) <= (baseline.Timeout ?? 0) + 2 && (now.TCPSocketWrap ?? 0) <= (baseline.TCPSocketWrap ?? 0) + 8);
    await t.client.runs.cancel.mutate({ runId });
    await t.client.runs.cancel.mutate({ runId: quiet });
  }, 180_000); // 30 s on a quiet machine, 40-50 s with the cores busy (four CPU hogs and other suites)
});
