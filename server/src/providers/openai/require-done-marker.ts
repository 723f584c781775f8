/** Thrown through the SDK's stream when an event stream ends without its `data: [DONE]` line. */
export class MissingDoneError extends Error {
  override readonly name = 'MissingDoneError';
}

/**
 * A `fetch` for the `openai` SDK that makes a truncated stream fail. The SDK's stream iterator
 * swallows `[DONE]` and simply ends when the server closes the response without it, which would
 * look like a complete answer. This wraps every successful `text/event-stream` body so that it
 * errors with MissingDoneError if it ends before a `data: [DONE]` line; the SDK still parses the
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

/** Passes bytes through, scanning complete lines for `data: [DONE]`; errors at the end if none came. */
function watchForDone(): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let partialLine = '';
  let seen = false;
  const scan = (text: string) => {
    if (seen) return;
    const lines = (partialLine + text).split(/\r\n|\r|\n/);
    partialLine = lines.pop() ?? '';
    seen = lines.some(isDoneLine);
  };
  return new TransformStream({
    transform(chunk, controller) {
      scan(decoder.decode(chunk, { stream: true }));
      controller.enqueue(chunk);
    },
    flush(controller) {
      scan(decoder.decode());
      if (!seen && !isDoneLine(partialLine)) {
        controller.error(new MissingDoneError('the stream ended without its terminal `data: [DONE]`'));
      }
    },
  });
}

/** `data: [DONE]` (the space after the colon is optional in SSE). */
function isDoneLine(line: string): boolean {
  return /^data: ?\[DONE\]/.test(line);
}
