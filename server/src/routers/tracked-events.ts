import { tracked, type TrackedEnvelope } from '@trpc/server';
import { isTerminalEvent, type SessionEvent, type StreamEvent } from '@threadline/shared';
import { pushingThrough, type LoggedEvent, type PushingIterator } from '../events/index.js';
import type { FollowedEvent } from '../runs/index.js';

/**
 * A run's events as a subscription yields them: `tracked(id, event)`, so that a client resumes
 * from its last id. `onLeft` is told, once, when the events stop before the terminal event (the
 * subscriber left). A plain iterator rather than an async generator, its `next` a promise chained on
 * the reader's: one generator step (or async function frame) per event was a promise, a queue
 * entry and a resume more on every token of every stream, kept until the next one. It pushes
 * when the reader does (see events/pushing.ts), mapping each event on its way.
 */
export function trackedEvents(events: AsyncIterable<LoggedEvent>, onLeft?: () => void): AsyncIterable<TrackedEnvelope<StreamEvent>> {
  return {
    [Symbol.asyncIterator]() {
      const inner: PushingIterator<LoggedEvent> = events[Symbol.asyncIterator]();
      let ended = false;
      const left = () => {
        // Ended without its terminal event: the reader's signal aborted (it left) or the log closed.
        if (!ended) onLeft?.();
        ended = true;
      };
      const envelope = (logged: LoggedEvent): TrackedEnvelope<StreamEvent> => {
        if (isTerminalEvent(logged.event)) ended = true;
        return tracked(String(logged.id), logged.event);
      };
      const iterator: PushingIterator<TrackedEnvelope<StreamEvent>> = {
        next: () =>
          inner.next().then((result): IteratorResult<TrackedEnvelope<StreamEvent>> => {
            if (!result.done) return { done: false, value: envelope(result.value) };
            left();
            return { done: true, value: undefined };
          }),
        async return() {
          left();
          await inner.return?.();
          return { done: true, value: undefined };
        },
      };
      // A sink that failed is returned by its consumer, which tells `onLeft` then.
      const pushTo = pushingThrough(inner, envelope, (error) => {
        if (error === undefined) left();
      });
      if (pushTo) iterator.pushTo = pushTo;
      return iterator;
    },
  };
}

/** A followed session's events as a subscription yields them: `tracked(position, event)`. */
export async function* trackedSessionEvents(events: AsyncIterable<FollowedEvent>): AsyncGenerator<TrackedEnvelope<SessionEvent>> {
  for await (const { id, data } of events) yield tracked(id, data);
}
