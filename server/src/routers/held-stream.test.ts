import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
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
});
