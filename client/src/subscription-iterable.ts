/** What a tRPC client's `subscribe` takes. */
export interface SubscriptionHandlers<T> {
  onData(value: T): void;
  onError(error: unknown): void;
  onComplete(): void;
}

/**
 * A tRPC subscription as an async iterable: yields what `onData` receives, in order; ends when the
 * subscription completes or `signal` aborts; throws what `onError` receives. Unsubscribes when the
 * iteration ends, however it ends.
 */
export async function* iterateSubscription<T>(
  subscribe: (handlers: SubscriptionHandlers<T>) => { unsubscribe(): void },
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let failure: { error: unknown } | undefined;
  let completed = false;
  const subscription = subscribe({
    onData(value) {
      queue.push(value);
      wake?.();
    },
    onError(error) {
      failure = { error };
      wake?.();
    },
    onComplete() {
      completed = true;
      wake?.();
    },
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (failure) throw failure.error;
      if (completed || signal?.aborted) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    subscription.unsubscribe();
  }
}
