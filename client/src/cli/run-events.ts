import { isTerminalEvent, type StreamEvent } from '@threadline/shared';
import type { ThreadlineClient } from '../client.js';

/**
 * One run's events from the first (runs.events), live until its terminal event, as an async
 * iterable; throws when `signal` aborts (its reason) or the subscription fails.
 */
export async function* runEvents(client: ThreadlineClient, runId: string, signal: AbortSignal): AsyncGenerator<StreamEvent> {
  const queue: { id: string; data: StreamEvent }[] = [];
  let wake: (() => void) | undefined;
  let failure: { error: unknown } | undefined;
  let completed = false;
  let lastEventId = 0;
  const subscription = client.runs.events.subscribe(
    { runId },
    {
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
    },
  );
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    for (;;) {
      while (queue.length > 0) {
        const { id, data } = queue.shift()!;
        // The link resumes after the last id it saw when it reconnects; skip anything seen anyway.
        if (Number(id) <= lastEventId) continue;
        lastEventId = Number(id);
        yield data;
        if (isTerminalEvent(data)) return;
      }
      if (failure) throw failure.error;
      if (signal.aborted) throw signal.reason;
      if (completed) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    subscription.unsubscribe();
  }
}
