import { isTerminalEvent, type StreamEvent } from '@threadline/shared';
import type { ThreadlineClient } from './client.js';
import { iterateSubscription } from './subscription-iterable.js';

/** Options of runEvents. */
export interface RunEventsOptions {
  /** Stops reading (the run goes on); the iteration then throws the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Follows a run by its id (one another tab, device or process started): its events from the first
 * (runs.events replays them), then live until its terminal event, as an async iterable. Throws
 * when `signal` aborts (its reason) or the subscription fails.
 */
export async function* runEvents(client: ThreadlineClient, runId: string, options: RunEventsOptions = {}): AsyncGenerator<StreamEvent> {
  const { signal } = options;
  let lastEventId = 0;
  for await (const { id, data } of iterateSubscription<{ id: string; data: StreamEvent }>((handlers) => client.runs.events.subscribe({ runId }, handlers), signal)) {
    // The link resumes after the last id it saw when it reconnects; skip anything seen anyway.
    if (Number(id) <= lastEventId) continue;
    lastEventId = Number(id);
    yield data;
    if (isTerminalEvent(data)) return;
  }
  signal?.throwIfAborted();
}
