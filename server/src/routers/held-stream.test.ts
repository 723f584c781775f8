import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { InMemoryEventLog, type PushingIterator } from '../events/index.js';
import type { UserLimiter } from '../limits/index.js';
import { heldStream } from './held-stream.js';

/** A limiter that counts the streams held. */
function countingLimiter() {
  let held = 0;
  const limiter = {
    holdStream: async () => {
      held++;
      return () => held--;
    },
  } as unknown as UserLimiter;
  return { limiter, held: () => held };
}

async function* words(...items: string[]) {
  yield* items;
}

describe('heldStream', () => {
  it('holds a stream until it ends, and leaves no listener on a signal that outlives it', async () => {
    const { limiter, held } = countingLimiter();
    const lifetime = new AbortController();
    for (let index = 0; index < 20; index++) {
      const stream = await heldStream(limiter, 'u', lifetime.signal, async () => words('a', 'b'));
      expect(held()).toBe(1);
      const seen: string[] = [];
      for await (const word of stream) seen.push(word);
      expect(seen).toEqual(['a', 'b']);
      expect(held()).toBe(0);
    }
    expect(getEventListeners(lifetime.signal, 'abort')).toHaveLength(0);
  });

  it('releases once when the reader leaves, whatever else happens after', async () => {
    const { limiter, held } = countingLimiter();
    const reader = new AbortController();
    const stream = await heldStream(limiter, 'u', reader.signal, async () => words('a', 'b'));
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    reader.abort();
    expect(held()).toBe(0);
    await iterator.return?.();
    expect(held()).toBe(0);
  });

  it('releases when the events fail, whether their next rejects or throws', async () => {
    for (const fails of ['rejects', 'throws'] as const) {
      const { limiter, held } = countingLimiter();
      const broken: AsyncIterable<string> = {
        [Symbol.asyncIterator]: () => ({
          next: () => {
            if (fails === 'throws') throw new Error('broken');
            return Promise.reject(new Error('broken'));
          },
        }),
      };
      const stream = await heldStream(limiter, 'u', new AbortController().signal, async () => broken);
      expect(held()).toBe(1);
      await expect(stream[Symbol.asyncIterator]().next()).rejects.toThrow('broken');
      expect(held()).toBe(0);
    }
  });

  it('pushes when its events do, releasing the hold at their end or when returned, never twice', async () => {
    const { limiter, held } = countingLimiter();
    const log = new InMemoryEventLog(60_000);
    log.open('run');
    log.append('run', { type: 'text-delta', delta: 'a' });
    const stream = await heldStream(limiter, 'u', new AbortController().signal, async () => log.follow('run', 0, new AbortController().signal));
    const iterator: PushingIterator<unknown> = stream[Symbol.asyncIterator]();
    const seen: unknown[] = [];
    let ends = 0;
    iterator.pushTo!({ event: (value) => seen.push(value) > 0, end: () => void ends++ });
    log.append('run', { type: 'run-finish', usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop', durationMs: 1 });
    expect(seen).toHaveLength(2);
    expect([ends, held()]).toEqual([1, 0]);

    log.open('other');
    const left = await heldStream(limiter, 'u', new AbortController().signal, async () => log.follow('other', 0, new AbortController().signal));
    const leaving: PushingIterator<unknown> = left[Symbol.asyncIterator]();
    leaving.pushTo!({ event: () => true, end: () => void ends++ });
    expect(held()).toBe(1);
    await leaving.return!();
    await leaving.return!();
    expect([ends, held()]).toEqual([1, 0]);
    await log.close();
  });
});
