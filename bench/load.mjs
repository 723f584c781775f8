/**
 * The benchmark's load generator, in its own process (plain Node, raw `node:http`, lean SSE parsing).
 * Opens `concurrency` streams at once against the relay floor or Threadline, waits for all of them
 * to end, `rounds` times, and records per stream the time to the first text token (from the
 * request's start), the words received, the frames and any error.
 *
 * Usage: `node bench/load.mjs '<options json>'` (see LoadOptions below). Writes JSON lines on
 * stdout: `{"progress":{...}}` every `progressMs` while streams run, then one `{"result":{...}}`.
 *
 * @typedef {object} LoadOptions
 * @property {'relay' | 'threadline'} target
 * @property {string} url Base URL of the target (no trailing slash).
 * @property {string} [token] Threadline's bearer token.
 * @property {number} concurrency Streams open at once.
 * @property {number} [rounds] Times to open `concurrency` streams and wait for them (default 1).
 * @property {string} [model] Relay: the provider's model; Threadline: `provider/model`.
 * @property {string} content The user message.
 * @property {boolean} [newSession] Threadline: each message starts a session (stored), else stateless.
 * @property {number} [openingLimit] Most requests waiting for their response headers at once (default 256).
 * @property {number} [progressMs] Progress line period (default 500; 0: none).
 */
import { Agent, request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** @type {LoadOptions} */
const options = JSON.parse(process.argv[2] ?? '{}');
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

/** Counts while the load runs, for progress lines. */
const counts = { opening: 0, open: 0, done: 0, errors: 0, tokens: 0 };
const ttftMs = [];
const errors = [];
let frames = 0;

/** The path (with query) of one stream request. */
function pathOf() {
  if (options.target === 'relay') {
    return `/chat?model=${encodeURIComponent(options.model)}&content=${encodeURIComponent(options.content)}`;
  }
  const input = {
    content: options.content,
    ...(options.model ? { model: options.model } : {}),
    requestId: randomUUID(),
    ...(options.newSession === false ? {} : { newSession: true }),
  };
  return `/trpc/chat.stream?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
}

/**
 * What one SSE message means: a text delta, the end (ok or not), or nothing to count. Relay
 * messages are the events themselves; Threadline's are superjson envelopes `{json: event}`.
 */
function classify(data) {
  const message = JSON.parse(data);
  const event = message?.json ?? message;
  switch (event?.type) {
    case 'text-delta':
      return { delta: event.delta };
    case 'finish':
    case 'run-finish':
      return { end: 'ok' };
    case 'error':
    case 'run-error':
    case 'run-cancel':
      return { end: `${event.type}: ${event.message ?? event.reason ?? event.code}` };
    default:
      return {};
  }
}

/** Words in `text`, given whether the text before it ended inside a word. */
function countWords(text, inWord) {
  let words = 0;
  for (let index = 0; index < text.length; index++) {
    const space = text.charCodeAt(index) <= 32;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return { words, inWord };
}

/** Opens one stream; resolves when it ended, recording its numbers. Never rejects. */
function openStream(release) {
  return new Promise((resolve) => {
    const started = performance.now();
    let firstToken = false;
    let inWord = false;
    let ended = false;
    let isOpen = false;
    let released = false;
    let buffer = '';
    counts.opening++;
    const headers = { accept: 'text/event-stream' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const url = new URL(options.url);

    const releaseOpening = () => {
      if (released) return;
      released = true;
      counts.opening--;
      release();
    };
    const finish = (error) => {
      if (ended) return;
      ended = true;
      releaseOpening();
      if (isOpen) counts.open--;
      if (error) {
        counts.errors++;
        if (errors.length < 20) errors.push(error);
      }
      counts.done++;
      resolve();
    };
    const onMessage = (data) => {
      frames++;
      const meaning = classify(data);
      if (meaning.delta !== undefined) {
        if (!firstToken) {
          firstToken = true;
          ttftMs.push(performance.now() - started);
        }
        const counted = countWords(meaning.delta, inWord);
        inWord = counted.inWord;
        counts.tokens += counted.words;
      } else if (meaning.end) {
        request.destroy();
        finish(meaning.end === 'ok' ? undefined : meaning.end);
      }
    };

    const request = httpRequest({ host: url.hostname, port: url.port, path: pathOf(), headers, agent }, (response) => {
      releaseOpening();
      if (response.statusCode !== 200) {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk) => (body += chunk));
        response.on('end', () => finish(`HTTP ${response.statusCode}: ${body.slice(0, 200)}`));
        return;
      }
      isOpen = true;
      counts.open++;
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        buffer += chunk;
        let boundary;
        while (!ended && (boundary = buffer.indexOf('\n\n')) !== -1) {
          const message = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          // Only `data:` lines matter (tRPC puts `id:` after them; `event: connected`/`return` carry no event).
          if (message.startsWith('event:')) {
            if (message.startsWith('event: serialized-error')) {
              request.destroy();
              finish(`tRPC error: ${message.slice(0, 300)}`);
            }
            continue;
          }
          const dataAt = message.indexOf('data: ');
          if (dataAt === -1) continue;
          const lineEnd = message.indexOf('\n', dataAt);
          const data = message.slice(dataAt + 6, lineEnd === -1 ? undefined : lineEnd);
          if (data) onMessage(data);
        }
      });
      response.on('close', () => finish('the stream closed before its end'));
    });
    request.on('error', (error) => finish(`${error.code ?? ''} ${error.message}`.trim()));
    request.end();
  });
}

/** Runs `count` streams with at most `limit` waiting for their headers at once. */
async function round(count, limit) {
  const streams = [];
  let waiting = 0;
  let wake;
  for (let index = 0; index < count; index++) {
    while (waiting >= limit) await new Promise((resolve) => (wake = resolve));
    waiting++;
    streams.push(
      openStream(() => {
        waiting--;
        wake?.();
      }),
    );
  }
  await Promise.all(streams);
}

const progressMs = options.progressMs ?? 500;
const progress = progressMs > 0 ? setInterval(() => console.log(JSON.stringify({ progress: { ...counts, frames } })), progressMs) : undefined;
const started = performance.now();
for (let index = 0; index < (options.rounds ?? 1); index++) await round(options.concurrency, options.openingLimit ?? 256);
clearInterval(progress);
const result = {
  streams: counts.done,
  errors: counts.errors,
  errorSamples: errors,
  tokens: counts.tokens,
  frames,
  ttftMs,
  durationMs: performance.now() - started,
};
console.log(JSON.stringify({ result }));
agent.destroy();
