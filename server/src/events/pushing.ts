/**
 * Pushing instead of pulling. An async iterator gives one event per `next`, each a promise the
 * consumer awaits; a stream that passes through several such layers (the log's reader, the tracked
 * envelope, the held stream, the responder's loop) pays a promise, a reaction and a resumed frame
 * per layer per event, and a slow stream keeps them from one event to the next. An iterator that
 * can also push takes a sink instead, and calls it as events arrive, each layer mapping the event
 * on its way, with nothing allocated between events but the event itself.
 *
 * The consumer stays in charge of the pace: the sink answers false when it can take no more for
 * now (its socket is full), and the iterator stops pushing at once, keeping its place; the consumer
 * then asks again (`pushTo` once more) or pulls with `next`. `end` comes once, after the last event.
 */
export interface Sink<T> {
  /** Takes one event; false when it can take no more for now (pushing stops; the event is taken). */
  event(value: T): boolean;
  /** The events ended (as `next` would say done), or `event` threw `error`. Pushing stops. */
  end(error?: unknown): void;
}

/** An async iterator that may push to a sink as well (only one of the two at a time). */
export interface PushingIterator<T> extends AsyncIterator<T> {
  /** Pushes what is ready now, then more as it comes, until the sink says false or the end. */
  pushTo?(sink: Sink<T>): void;
}

/**
 * A layer's `pushTo` over the iterator beneath it (undefined when that one cannot push): each event
 * mapped on its way up, and `ended` told (with the sink's failure, if any) before the sink hears
 * of the end. The tracked envelope and the held stream are such layers.
 */
export function pushingThrough<T, U>(inner: PushingIterator<T>, map: (value: T) => U, ended: (error?: unknown) => void): ((sink: Sink<U>) => void) | undefined {
  if (!inner.pushTo) return undefined;
  const pushTo = inner.pushTo.bind(inner);
  return (sink) =>
    pushTo({
      event: (value) => sink.event(map(value)),
      end: (error) => {
        ended(error);
        sink.end(error);
      },
    });
}
