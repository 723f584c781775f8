/** Thrown through the SDK's stream when an event stream ends without its `data: [DONE]` line. */
export class MissingDoneError extends Error {
  override readonly name = 'MissingDoneError';
}

/**
 * A `fetch` for the `openai` SDK that makes a truncated stream fail. The SDK's stream iterator
 * swallows `[DONE]` and simply ends when the server closes the response without it, which would
 * look like a complete answer. This wraps every successful `text/event-stream` body so that it
 * errors with MissingDoneError unless its last line is `data: [DONE]`; the SDK still parses the
 * bytes, which pass through unchanged.
 */
export function fetchRequiringDone(fetchImplementation: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetchImplementation(input, init);
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok || !response.body || !contentType.includes('text/event-stream')) return response;
    return new Response(response.body.pipeThrough(watchForDone()), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** How many bytes of the stream's end are kept to find its last line. */
const TAIL_BYTES = 256;

/**
 * Passes bytes through, keeping only the stream's last bytes; errors at the end unless its last
 * line is `data: [DONE]`. (An earlier version decoded and split every chunk into lines: a cost on
 * every token of every answer, for a question only the end can answer.)
 */
function watchForDone(): TransformStream<Uint8Array, Uint8Array> {
  let tail = new Uint8Array(0);
  return new TransformStream({
    transform(chunk, controller) {
      if (chunk.length >= TAIL_BYTES) {
        tail = chunk.slice(chunk.length - TAIL_BYTES);
      } else {
        const joined = new Uint8Array(Math.min(TAIL_BYTES, tail.length + chunk.length));
        const kept = joined.length - chunk.length;
        joined.set(tail.subarray(tail.length - kept), 0);
        joined.set(chunk, kept);
        tail = joined;
      }
      controller.enqueue(chunk);
    },
    flush(controller) {
      const lastLine = new TextDecoder().decode(tail).trimEnd().split(/\r\n|\r|\n/).at(-1) ?? '';
      if (!isDoneLine(lastLine)) controller.error(new MissingDoneError('the stream ended without its terminal `data: [DONE]`'));
    },
  });
}

/** `data: [DONE]` (the space after the colon is optional in SSE). */
function isDoneLine(line: string): boolean {
  return /^data: ?\[DONE\]/.test(line);
}
