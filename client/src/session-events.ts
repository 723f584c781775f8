import type { ThreadlineClient } from './client.js';
import { iterateSubscription } from './subscription-iterable.js';
import type { SessionEvent } from './types.js';

/** Options of sessionEvents. */
export interface SessionEventsOptions {
  /** Resume after this position (the `id` of an event a previous follow yielded). */
  lastEventId?: string;
  /** Stops following; the iteration then throws the signal's reason. */
  signal?: AbortSignal;
}

/** One event of a followed session with its position: pass `id` back as `lastEventId` to resume after it. */
export interface FollowedSessionEvent extends SessionEvent {
  id: string;
}

/**
 * Follows a session (sessions.events): every run of it as it starts, whichever client, device or
 * instance sent it, and each run's events, as one async iterable that runs until `signal` aborts.
 * Without `lastEventId` it begins with the session's runs still going. Reconnects resume where the
 * stream broke (the link passes the last id back); an event seen already is skipped all the same.
 */
export async function* sessionEvents(client: ThreadlineClient, sessionId: string, options: SessionEventsOptions = {}): AsyncGenerator<FollowedSessionEvent> {
  const { signal, lastEventId } = options;
  const seen = new Map<string, number>();
  const input = { sessionId, ...(lastEventId ? { lastEventId } : {}) };
  for await (const { id, data } of iterateSubscription<{ id: string; data: SessionEvent }>((handlers) => client.sessions.events.subscribe(input, handlers), signal)) {
    if ((seen.get(data.runId) ?? 0) >= data.eventId) continue;
    seen.set(data.runId, data.eventId);
    yield { id, ...data };
  }
  signal?.throwIfAborted();
}
