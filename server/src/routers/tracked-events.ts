import { tracked, type TrackedEnvelope } from '@trpc/server';
import { isTerminalEvent, type SessionEvent, type StreamEvent } from '@threadline/shared';
import type { LoggedEvent } from '../events/index.js';
import type { FollowedEvent } from '../runs/index.js';

/**
 * A run's events as a subscription yields them: `tracked(id, event)`, so that a client resumes
 * from its last id. `onLeft` is told, once, when the events stop before the terminal event (the
 * subscriber left). A plain iterator rather than an async generator, its `next` a promise chained on
 * the reader's: one generator step (or async function frame) per event was a promise, a queue
 * entry and a resume more on every token of every stream, kept until the next one.
 */
export function trackedEvents(events: AsyncIterable<LoggedEvent>, onLeft?: () => void): AsyncIterable<TrackedEnvelope<StreamEvent>> {
  return {
    [Symbol.asyncIterator]() {
      const inner = events[Symbol.asyncIterator]();
      let ended = false;
      const envelope = (result: IteratorResult<LoggedEvent>): IteratorResult<TrackedEnvelope<StreamEvent>> => {
        if (result.done) {
          // Ended without its terminal event: the reader's signal aborted (it left) or the log closed.
          if (!ended) onLeft?.();
          ended = true;
          return { done: true, value: undefined };
        }
        if (isTerminalEvent(result.value.event)) ended = true;
        return { done: false, value: tracked(String(result.value.id), result.value.event) };
      };
      return {
        next: () => inner.next().then(envelope),
        async return() {
          if (!ended) onLeft?.();
          ended = true;
          await inner.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** A followed session's events as a subscription yields them: `tracked(position, event)`. */
export async function* trackedSessionEvents(events: AsyncIterable<FollowedEvent>): AsyncGenerator<TrackedEnvelope<SessionEvent>> {
  for await (const { id, data } of events) yield tracked(id, data);
}
