import { isTerminalEvent, type StreamEvent } from '@threadline/shared';
import type { ThreadlineClient } from '../client.js';
import { iterateSubscription } from '../subscription-iterable.js';

/**
 * One run's events from the first (runs.events), live until its terminal event, as an async
 * iterable; throws when `signal` aborts (its reason) or the subscription fails.
 */
export async function* runEvents(client: ThreadlineClient, runId: string, signal: AbortSignal): AsyncGenerator<StreamEvent> {
  let lastEventId = 0;
  for await (const { id, data } of iterateSubscription<{ id: string; data: StreamEvent }>((handlers) => client.runs.events.subscribe({ runId }, handlers), signal)) {
    // The link resumes after the last id it saw when it reconnects; skip anything seen anyway.
    if (Number(id) <= lastEventId) continue;
    lastEventId = Number(id);
    yield data;
    if (isTerminalEvent(data)) return;
  }
  signal.throwIfAborted();
}
