import { isTerminalEvent, type StreamEvent } from '@threadline/shared';

/** An event as the client receives it from `tracked()`. */
export interface ReceivedEvent {
  id: string;
  data: StreamEvent;
}

interface Handlers {
  onData(value: ReceivedEvent): void;
  onError(error: unknown): void;
  onComplete(): void;
}

/**
 * Subscribes and collects events until the terminal one (then unsubscribes), an error, or
 * completion; or, with `until`, as soon as the events so far satisfy it. `onEvent` may act
 * mid-stream (cancel, drop the connection...).
 */
export function collectEvents(
  subscribe: (handlers: Handlers) => { unsubscribe(): void },
  onEvent?: (event: ReceivedEvent, events: ReceivedEvent[]) => void,
  until?: (events: ReceivedEvent[]) => boolean,
): Promise<{ events: ReceivedEvent[]; error?: unknown }> {
  return new Promise((resolve) => {
    const events: ReceivedEvent[] = [];
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      subscription?.unsubscribe();
      resolve(error === undefined ? { events } : { events, error });
    };
    let subscription: { unsubscribe(): void } | undefined;
    subscription = subscribe({
      onData(value) {
        events.push(value);
        onEvent?.(value, events);
        if (isTerminalEvent(value.data) || until?.(events)) finish();
      },
      onError: finish,
      onComplete: () => finish(),
    });
    if (done) subscription.unsubscribe();
  });
}

/** The text of all text-delta events, joined. */
export function textOf(events: ReceivedEvent[]): string {
  return events.map(({ data }) => (data.type === 'text-delta' ? data.delta : '')).join('');
}
