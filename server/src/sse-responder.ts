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

/** One open stream, as the shared timer sees it. */
interface OpenStream {
  response: ServerResponse;
  /** When it last wrote, epoch ms (a ping is due after the ping interval of silence). */
  lastWriteAt: number;
  /** Since when its socket has been full, epoch ms, or 0. */
  stalledSince: number;
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
  const open = new Set<OpenStream>();
  let timer: NodeJS.Timeout | undefined;

  const tickMs = Math.min(1_000, options.stallMs, pingMs || Infinity);
  /**
   * Pings streams that have been silent for about the ping interval (a tick early rather than a
   * tick late: a client counts silence against its inactivity timeout); closes those stalled too long.
   */
  const tick = () => {
    const now = Date.now();
    for (const stream of open) {
      if (stream.stalledSince && stream.response.writableNeedDrain && now - stream.stalledSince >= options.stallMs) {
        stream.response.destroy();
      } else if (pingMs && !stream.stalledSince && now - stream.lastWriteAt >= pingMs - tickMs) {
        write(stream, 'event: ping\ndata: \n\n\n');
      }
    }
  };
  const track = (stream: OpenStream) => {
    open.add(stream);
    timer ??= setInterval(tick, tickMs);
    timer.unref();
  };
  const untrack = (stream: OpenStream) => {
    open.delete(stream);
    if (open.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  /** Writes a frame; false when the socket is full (the caller waits for `drain`). */
  function write(stream: OpenStream, frame: string): boolean {
    stream.lastWriteAt = Date.now();
    const written = stream.response.write(frame);
    // Stalled from the first write the socket did not take, until one it takes (or `drain`).
    stream.stalledSince = written ? 0 : stream.stalledSince || stream.lastWriteAt;
    return written;
  }

  const drained = (stream: OpenStream) =>
    new Promise<void>((resolve) => {
      const done = () => {
        stream.response.off('drain', done).off('close', done);
        stream.stalledSince = 0;
        resolve();
      };
      stream.response.on('drain', done).on('close', done);
    });

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
    const stream: OpenStream = { response, lastWriteAt: Date.now(), stalledSince: 0 };
    track(stream);
    write(stream, `retry: ${SSE_RECONNECT_MS}\n\n${connected}`);
    let lastId = lastEventId && !/[\0\n\r]/.test(lastEventId) ? lastEventId : null;
    /** Writes one event's frame; false when the socket is full or gone. */
    const send = (value: unknown): boolean => {
      if (response.destroyed) return false;
      let frame: string;
      if (isTrackedEnvelope(value)) {
        lastId = value[0];
        frame = `data: ${serialize(value[1])}\nid: ${value[0]}\n\n\n`;
      } else if (lastId === null) {
        frame = `data: ${serialize(value)}\n\n\n`;
      } else {
        // tRPC's rule: an untracked event after tracked ones clears the id, then restores it.
        frame = `data: ${serialize(value)}\nid: \n\n\nevent: restore-id\ndata: \nid: ${lastId}\n\n\n`;
      }
      return write(stream, frame);
    };
    try {
      const iterator: PushingIterator<unknown> = iterable[Symbol.asyncIterator]();
      if (iterator.pushTo) await pushed(stream, iterator, send);
      else {
        for await (const value of { [Symbol.asyncIterator]: () => iterator }) {
          if (!send(value)) {
            if (response.destroyed) break;
            await drained(stream);
          }
        }
      }
      ended = !response.destroyed;
      if (ended) response.end('event: return\ndata: \n\n\n');
    } catch (cause) {
      if (isAbortError(cause) || response.destroyed) return void response.destroy();
      response.end(errorFrame(getTRPCErrorFromUnknown(cause), path, context, input));
    } finally {
      untrack(stream);
    }
  }

  /**
   * The events of an iterator that pushes (see events/pushing.ts), written as they come while the
   * socket takes them, waiting for `drain` when it does not; resolves at their end or when the
   * client left (the iterator is returned then, as `for await` would), rejects with a failure.
   */
  async function pushed(stream: OpenStream, iterator: PushingIterator<unknown>, send: (value: unknown) => boolean): Promise<void> {
    for (;;) {
      const stop = await new Promise<{ full: boolean; error?: unknown }>((resolve) =>
        iterator.pushTo!({
          event: (value) => send(value) || (resolve({ full: true }), false),
          end: (error) => resolve({ full: false, error }),
        }),
      );
      if (!stop.full && stop.error === undefined) return;
      if (stop.full && !stream.response.destroyed) await drained(stream);
      if (stop.error !== undefined || stream.response.destroyed) {
        await iterator.return?.();
        if (stop.error !== undefined) throw stop.error;
        return;
      }
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
    openStreams: () => open.size,
  };
}

/** tRPC's SSE response headers (and its `vary`). */
function sseHead(): Record<string, string> {
  return { vary: 'trpc-accept, accept', ...sseHeaders };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return isObject(value) && Symbol.asyncIterator in value;
}
