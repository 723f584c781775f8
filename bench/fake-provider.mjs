/**
 * A fake OpenAI-compatible provider for the benchmark, in its own process (plain Node, no tsx).
 *
 * `POST /v1/chat/completions` streams Chat Completions chunks exactly as api.openai.com sends them
 * (`data: <chunk json>` frames, a last chunk with finish_reason "stop", a usage chunk when
 * `stream_options.include_usage` is set, then `data: [DONE]`); `GET /v1/models` lists the models.
 * The answer's shape is in the model name: `bench-<words>x<delayMs>` streams that many words, one
 * every delayMs (the first one delayMs after the request), so one fake serves every load.
 *
 * Usage: `node bench/fake-provider.mjs [port]`; prints `{"listening":<port>}` on stdout once ready.
 */
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

const MODEL = /^bench-(\d{1,6})x(\d{1,6})$/;
const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor'.split(' ');

/** The words and pace a model name asks for, or undefined for an unknown model. */
function shapeOf(model) {
  const match = MODEL.exec(String(model ?? ''));
  return match ? { words: Number(match[1]), delayMs: Number(match[2]) } : undefined;
}

function sendJson(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendError(response, status, message, code = null) {
  sendJson(response, status, { error: { message, type: 'invalid_request_error', param: null, code } });
}

/** Reads a JSON request body. */
async function readJson(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/** Streams one answer of `shape.words` words as Chat Completions chunks. */
function streamAnswer(body, shape, response) {
  const includeUsage = body.stream_options?.include_usage === true;
  // Every chunk shares these fields; the JSON is built once per request, as a prefix.
  const base = JSON.stringify({
    id: `chatcmpl-${randomBytes(12).toString('base64url')}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    service_tier: 'default',
    system_fingerprint: 'fp_bench00001',
  }).slice(0, -1);
  const usageField = includeUsage ? ',"usage":null' : '';
  // OpenAI pads every chunk with a random `obfuscation` field; so does the fake.
  const frame = (choices, usage = usageField) =>
    `data: ${base},"choices":${choices}${usage},"obfuscation":"${randomBytes(3).toString('hex')}"}\n\n`;
  const choice = (delta, finishReason = null) =>
    `[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}]`;

  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, must-revalidate',
    'x-request-id': `req_${randomBytes(8).toString('hex')}`,
  });
  response.write(frame(choice({ role: 'assistant', content: '', refusal: null })));

  let sent = 0;
  let timer;
  const next = () => {
    if (sent < shape.words) {
      const word = WORDS[sent % WORDS.length];
      response.write(frame(choice({ content: sent === 0 ? word : ` ${word}` })));
      sent++;
      timer = setTimeout(next, shape.delayMs);
      return;
    }
    response.write(frame(choice({}, 'stop')));
    if (includeUsage) {
      const usage = { prompt_tokens: 12, completion_tokens: shape.words, total_tokens: 12 + shape.words };
      response.write(frame('[]', `,"usage":${JSON.stringify(usage)}`));
    }
    response.end('data: [DONE]\n\n');
  };
  timer = setTimeout(next, shape.delayMs);
  response.once('close', () => clearTimeout(timer));
}

const server = createServer((request, response) => {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'GET' && path === '/v1/models') {
    const data = ['bench-100x5', 'bench-20x500'].map((id) => ({ id, object: 'model', created: 1_686_935_002, owned_by: 'bench' }));
    return sendJson(response, 200, { object: 'list', data });
  }
  if (request.method === 'POST' && path === '/v1/chat/completions') {
    readJson(request).then(
      (body) => {
        const shape = shapeOf(body.model);
        if (!shape) return sendError(response, 404, `The model \`${body.model}\` does not exist or you do not have access to it.`, 'model_not_found');
        if (body.stream !== true) return sendError(response, 400, 'this fake only answers streaming requests');
        streamAnswer(body, shape, response);
      },
      () => sendError(response, 400, 'the body is not JSON'),
    );
    return;
  }
  sendError(response, 404, `Invalid URL (${request.method} ${path})`);
});
// Many streams at once: accept connections as fast as they come.
server.maxConnections = Infinity;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', 1024, () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
process.once('SIGTERM', () => process.exit(0));
