import type { IncomingMessage, ServerResponse } from 'node:http';
import { TRPCError, type AnyTRPCRouter } from '@trpc/server';
import {
  callProcedure,
  getErrorShape,
  getLastEventId,
  getTRPCErrorFromUnknown,
  isAbortError,
  isObject,
  isTrackedEnvelope,
  sseHeaders,
} from '@trpc/server/unstable-core-do-not-import';
import type { PushingIterator } from './events/index.js';

/** How soon an SSE client reconnects after losing its stream (EventSource's default is 3 s). */
export const SSE_RECONNECT_MS = 500;

/** What the responder needs from the HTTP server around it. */
export interface SseResponderOptions<TContext> {
  router: AnyTRPCRouter;
  createContext(request: IncomingMessage): Promise<TContext>;
  /** Called for every error a client is sent, as tRPC's own `onError`. */
  onError(error: TRPCError, path: string): void;
  /** Extra headers for a stream refused before it started (e.g. `retry-after`). */
  errorHeaders(error: TRPCError): Record<string, string>;
  /** A reader that keeps its socket full for this long while events wait is closed, ms. */
  stallMs: number;
  /**
   * An event as the `data:` text: the router's output transformer, then JSON (the default); a
   * faster function must give the same text.
   */
  serialize?: (value: unknown) => string;
}

/**
 * Serves tRPC subscriptions over SSE (`GET /trpc/<path>?input=…`), in tRPC's own wire format,
 * writing each event straight to the socket.
 *
 * tRPC's own producer turns every event into several web-stream hops (an async-generator chain
 * with a ping race per event, a ReadableStream, a TransformStream and a TextEncoderStream, piped
 * into the response three chunks at a time): measured here at about 60 µs of CPU per event against
 * 12 µs for a plain `response.write` of the same frame, more than the whole floor a relay pays per
 * token. This responder keeps everything of tRPC that gives a call its meaning (the procedure,
 * its middlewares and input parser through `callProcedure`, the error shape through the router's
 * error formatter, the transformer) and replaces only the pump: one string and one `write` per
 * event, and one timer for every stream's pings and stall checks instead of one race per event.
 * test/sse-wire.test.ts checks its bytes against tRPC's `sseStreamProducer` for the same events,
 * so a tRPC upgrade that changes the format fails there; every client test reads it through
 * tRPC's own `httpSubscriptionLink`.
 *
 * Every stream starts with a `retry:` field, so a client whose connection dropped comes back (and
 * resumes from its last event id) after SSE_RECONNECT_MS instead of EventSource's default 3 s.
 * Backpressure: it waits for `drain` before writing more, so a reader that stops reading costs a
 * socket's buffers, not more; one that stays stalled for `stallMs` while events wait is closed.
 */
export function createSseResponder<TContext>(options: SseResponderOptions<TContext>) {
  const { router } = options;
  const config = router._def._config;
  const pingMs = config.sse?.ping?.enabled ? (config.sse.ping.intervalMs ?? 1_000) : 0;
  const connected = `event: connected\ndata: ${JSON.stringify(config.sse?.client ?? {})}\n\n\n`;
  const serialize = options.serialize ?? ((value: unknown) => JSON.stringify(config.transformer.output.serialize(value)));
  const clock = new StreamClock(pingMs, options.stallMs);

  /** True when `path` is a subscription this responder serves. */
  function serves(request: IncomingMessage, path: string): boolean {
    if (request.method !== 'GET' || path.includes(',')) return false;
    const procedure = (router._def.procedures as Record<string, { _def: { type: string } } | undefined>)[path];
    return procedure?._def.type === 'subscription';
  }

  /** Answers one subscription request: its events, or the error that stopped it before the first. */
  async function respond(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const headers = new Headers(request.headers as Record<string, string>);
    const lastEventId = getLastEventId({ headers, searchParams: url.searchParams });
    const controller = new AbortController();
    // The procedure's signal: aborted when the client leaves before the stream's end. After the end
    // its readers have let go of it, and an abort would still build its error, stack and all
    // (~11 µs, every stream): not sent then.
    let ended = false;
    response.once('close', () => {
      if (!ended) controller.abort();
    });
    let context: TContext | undefined;
    let input: unknown;
    let iterable: AsyncIterable<unknown>;
    try {
      context = await options.createContext(request);
      const result = await callProcedure({
        router,
        path,
        type: 'subscription',
        ctx: context,
        signal: controller.signal,
        batchIndex: 0,
        getRawInput: async () => {
          try {
            const query = url.searchParams.get('input');
            input = query ? config.transformer.input.deserialize(JSON.parse(query)) : undefined;
          } catch (cause) {
            // As tRPC's own reading of the input: a refusal of the request, not a failure of ours.
            if (cause instanceof TRPCError) throw cause;
            throw new TRPCError({ code: 'BAD_REQUEST', message: cause instanceof Error ? cause.message : 'Invalid input', cause });
          }
          if (lastEventId) input = isObject(input) ? { ...input, lastEventId } : (input ?? { lastEventId });
          return input;
        },
      });
      if (!isAsyncIterable(result)) throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `subscription ${path} did not return an async iterable` });
      iterable = result;
    } catch (cause) {
      const error = getTRPCErrorFromUnknown(cause);
      response.writeHead(200, { ...sseHead(), ...options.errorHeaders(error) });
      response.end(`retry: ${SSE_RECONNECT_MS}\n\n${connected}${errorFrame(error, path, context, input)}`);
      return;
    }

    response.writeHead(200, sseHead());
    const stream = new SseStream(response, serialize, lastEventId && !/[\0\n\r]/.test(lastEventId) ? lastEventId : null);
    clock.track(stream);
    stream.write(`retry: ${SSE_RECONNECT_MS}\n\n${connected}`);
    try {
      await stream.pump(iterable[Symbol.asyncIterator]());
      ended = !response.destroyed;
      if (ended) response.end('event: return\ndata: \n\n\n');
    } catch (cause) {
      if (isAbortError(cause) || response.destroyed) return void response.destroy();
      response.end(errorFrame(getTRPCErrorFromUnknown(cause), path, context, input));
    } finally {
      clock.untrack(stream);
    }
  }

  /** tRPC's `serialized-error` frame: the router's error shape, transformed. */
  function errorFrame(error: TRPCError, path: string, context: TContext | undefined, input: unknown): string {
    options.onError(error, path);
    const shape = getErrorShape({ config, ctx: context, error, input, path, type: 'subscription' });
    return `event: serialized-error\ndata: ${serialize(shape)}\n\n\n`;
  }

  return {
    serves,
    respond,
    /** Streams open now. */
    openStreams: () => clock.size,
  };
}

/**
 * One open stream's socket: its events written as frames, with tRPC's ids, and what the shared
 * clock reads (when it last wrote, since when its socket has been full).
 */
class SseStream {
  /** When it last wrote, epoch ms (a ping is due after the ping interval of silence). */
  lastWriteAt = Date.now();
  /** Since when its socket has been full, epoch ms, or 0. */
  stalledSince = 0;

  constructor(
    readonly response: ServerResponse,
    private readonly serialize: (value: unknown) => string,
    /** The id of the last tracked event written (or the client's `Last-Event-ID`), else null. */
    private lastId: string | null,
  ) {}

  /** Writes a frame; false when the socket is full (the caller waits for `drain`). */
  write(frame: string): boolean {
    this.lastWriteAt = Date.now();
    const written = this.response.write(frame);
    // Stalled from the first write the socket did not take, until one it takes (or `drain`).
    this.stalledSince = written ? 0 : this.stalledSince || this.lastWriteAt;
    return written;
  }

  /** Writes one event's frame; false when the socket is full or gone. */
  send(value: unknown): boolean {
    if (this.response.destroyed) return false;
    let frame: string;
    if (isTrackedEnvelope(value)) {
      this.lastId = value[0];
      frame = `data: ${this.serialize(value[1])}\nid: ${value[0]}\n\n\n`;
    } else if (this.lastId === null) {
      frame = `data: ${this.serialize(value)}\n\n\n`;
    } else {
      // tRPC's rule: an untracked event after tracked ones clears the id, then restores it.
      frame = `data: ${this.serialize(value)}\nid: \n\n\nevent: restore-id\ndata: \nid: ${this.lastId}\n\n\n`;
    }
    return this.write(frame);
  }

  /**
   * Writes the iterator's events until their end or the client's leaving: pushed to the socket when
   * the iterator can push (see events/pushing.ts), else pulled with `for await`. Rejects with the
   * iterator's failure.
   */
  pump(iterator: PushingIterator<unknown>): Promise<void> {
    return iterator.pushTo ? this.pushed(iterator) : this.pulled(iterator);
  }

  private async pulled(iterator: AsyncIterator<unknown>): Promise<void> {
    for await (const value of { [Symbol.asyncIterator]: () => iterator }) {
      if (!this.send(value)) {
        if (this.response.destroyed) break;
        await this.drained();
      }
    }
  }

  /**
   * The events of an iterator that pushes, written as they come while the socket takes them,
   * waiting for `drain` when it does not; resolves at their end or when the client left (the
   * iterator is returned then, as `for await` would), rejects with a failure.
   */
  private async pushed(iterator: PushingIterator<unknown>): Promise<void> {
    for (;;) {
      const stop = await new Promise<{ full: boolean; error?: unknown }>((resolve) =>
        iterator.pushTo!({
          event: (value) => this.send(value) || (resolve({ full: true }), false),
          end: (error) => resolve({ full: false, error }),
        }),
      );
      if (!stop.full && stop.error === undefined) return;
      if (stop.full && !this.response.destroyed) await this.drained();
      if (stop.error !== undefined || this.response.destroyed) {
        await iterator.return?.();
        if (stop.error !== undefined) throw stop.error;
        return;
      }
    }
  }

  /** Resolves when the socket takes writes again, or is gone. */
  private drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.response.off('drain', done).off('close', done);
        this.stalledSince = 0;
        resolve();
      };
      this.response.on('drain', done).on('close', done);
    });
  }
}

/**
 * One timer for every open stream, running only while one is: it pings streams that have been
 * silent for about the ping interval (a tick early rather than a tick late: a client counts silence
 * against its inactivity timeout), and closes those whose socket has been full for `stallMs`.
 */
class StreamClock {
  private readonly open = new Set<SseStream>();
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** 0: no pings. */
    private readonly pingMs: number,
    private readonly stallMs: number,
  ) {
    this.tickMs = Math.min(1_000, stallMs, pingMs || Infinity);
  }

  get size(): number {
    return this.open.size;
  }

  track(stream: SseStream): void {
    this.open.add(stream);
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  untrack(stream: SseStream): void {
    this.open.delete(stream);
    if (this.open.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const stream of this.open) {
      if (stream.stalledSince && stream.response.writableNeedDrain && now - stream.stalledSince >= this.stallMs) {
        stream.response.destroy();
      } else if (this.pingMs && !stream.stalledSince && now - stream.lastWriteAt >= this.pingMs - this.tickMs) {
        stream.write('event: ping\ndata: \n\n\n');
      }
    }
  }
}

/** tRPC's SSE response headers (and its `vary`). */
function sseHead(): Record<string, string> {
  return { vary: 'trpc-accept, accept', ...sseHeaders };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return isObject(value) && Symbol.asyncIterator in value;
}
