import { pushingThrough, type PushingIterator } from '../events/index.js';
import type { UserLimiter } from '../limits/index.js';

/**
 * A subscription that holds one of the user's open streams (refused with TOO_MANY_REQUESTS at
 * their limit, before `open` is called: a refused stream starts or cancels nothing) until it ends,
 * its reader leaves (`signal`), or `open` fails. It pushes when the stream does (events/pushing.ts).
 */
export async function heldStream<T>(limiter: UserLimiter, userId: string, signal: AbortSignal | undefined, open: () => Promise<AsyncIterable<T>>): Promise<AsyncIterable<T>> {
  const hold = await limiter.holdStream(userId);
  // Once, and without leaving its listener behind: a signal may outlive many streams (an embedded caller's).
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    signal?.removeEventListener('abort', release);
    hold();
  };
  signal?.addEventListener('abort', release, { once: true });
  let iterable: AsyncIterable<T>;
  try {
    iterable = await open();
  } catch (error) {
    release();
    throw error;
  }
  const passed = (result: IteratorResult<T>) => {
    if (result.done) release();
    return result;
  };
  const failed = (error: unknown): never => {
    release();
    throw error;
  };
  return {
    [Symbol.asyncIterator]() {
      const inner: PushingIterator<T> = iterable[Symbol.asyncIterator]();
      const iterator: PushingIterator<T> = {
        // A promise chained on the inner one, not an async function: a slow stream keeps what
        // `next` made from one event to the next, and an async function's frame is more of it.
        next() {
          let next: Promise<IteratorResult<T>>;
          try {
            next = inner.next();
          } catch (error) {
            next = Promise.reject(error);
          }
          return next.then(passed, failed);
        },
        async return(value?: unknown) {
          release();
          return (await inner.return?.(value)) ?? { done: true, value: undefined };
        },
      };
      const pushTo = pushingThrough(inner, (value: T) => value, release);
      if (pushTo) iterator.pushTo = pushTo;
      return iterator;
    },
  };
}
