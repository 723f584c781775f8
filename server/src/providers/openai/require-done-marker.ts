/** Thrown through the SDK's stream when an event stream ends without its `data: [DONE]` line. */
export class MissingDoneError extends Error {
  override readonly name = 'MissingDoneError';
}

/**
 * A `fetch` for the `openai` SDK that makes a truncated stream fail. The SDK's stream iterator
 * swallows `[DONE]` and simply ends when the server closes the response without it, which would
 * look like a complete answer. For every successful `text/event-stream` response, this gives the
 * SDK a body that errors with MissingDoneError unless the stream's last line is `data: [DONE]`;
 * the SDK still parses the bytes, which pass through unchanged.
 *
 * The SDK reads a body through its async iterator (`ReadableStreamToAsyncIterable` in
 * openai/internal/shims), so the body given to it is that iterator, watched: nothing is added per
 * chunk but keeping the stream's last bytes. (A TransformStream piped in between cost about 8 µs of
 * CPU per token in web-stream machinery, measured under load.) Should a later SDK read the body
 * another way, `getReader()` still reaches the stream and
 * server/src/providers/openai/require-done-marker.test.ts fails, which is the point of it.
 */
export function fetchRequiringDone(fetchImplementation: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetchImplementation(input, init);
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok || !response.body || !contentType.includes('text/event-stream')) return response;
    Object.defineProperty(response, 'body', { value: requiringDone(response.body), configurable: true });
    return response;
  };
}

/** The body's chunks, as they come; at their end, a MissingDoneError unless the last line is `data: [DONE]`. */
function requiringDone(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const watched = {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      // Node's ReadableStream is async iterable (the DOM lib's type, which a web build checks this with, does not say so).
      const chunks = (body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      const tail = new Tail();
      const watch = (result: IteratorResult<Uint8Array>) => {
        if (!result.done) tail.add(result.value);
        else if (!tail.endsWithDone()) throw new MissingDoneError('the stream ended without its terminal `data: [DONE]`');
        return result;
      };
      return {
        // Chained on the body's promise, not an async function: one frame less per chunk.
        next: () => chunks.next().then(watch),
        return: async () => (await chunks.return?.()) ?? { done: true, value: undefined },
      };
    },
    getReader: () => body.getReader(),
    cancel: (reason?: unknown) => body.cancel(reason),
  };
  return watched as unknown as ReadableStream<Uint8Array>;
}

/** How many bytes of the stream's end are kept to find its last line. */
const TAIL_BYTES = 256;

/**
 * The last bytes of a byte stream: the fewest last chunks that hold TAIL_BYTES, kept as they are
 * (copying the last bytes into a new array on every chunk was an allocation per token); joined only
 * at the end.
 */
class Tail {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  add(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    while (this.chunks.length > 1 && this.length - this.chunks[0]!.length >= TAIL_BYTES) this.length -= this.chunks.shift()!.length;
  }

  /** True when the last line (trailing blank lines aside) is `data: [DONE]` (the space after the colon is optional in SSE). */
  endsWithDone(): boolean {
    const bytes = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    const lastLine = new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES))).trimEnd().split(/\r\n|\r|\n/).at(-1) ?? '';
    return /^data: ?\[DONE\]/.test(lastLine);
  }
}
