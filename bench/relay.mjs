/**
 * The floor: the least a correct server does for Threadline's job, in plain Node (run with `node`,
 * no tsx, no build). `GET /chat?model=<model>&content=<message>` stores the user message with
 * better-sqlite3 (WAL), streams the answer from an OpenAI-compatible provider through the official
 * `openai` SDK, writes each text delta as an SSE frame (`data: {"type":"text-delta","delta":...}`),
 * stores the final answer and ends with `data: {"type":"finish"}` (or `{"type":"error"}`).
 *
 * Environment: OPENAI_BASE_URL, OPENAI_API_KEY, RELAY_DATA_DIR (where relay.sqlite goes), PORT
 * (0 by default). Prints `{"listening":<port>}` on stdout once ready.
 */
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI from 'openai';

const database = new Database(join(process.env.RELAY_DATA_DIR ?? '.', 'relay.sqlite'));
database.pragma('journal_mode = WAL');
database.pragma('synchronous = NORMAL');
database.exec(`create table if not exists messages (
  id integer primary key,
  conversation_id text not null,
  role text not null,
  content text not null,
  created_at integer not null
)`);
const insertMessage = database.prepare('insert into messages (conversation_id, role, content, created_at) values (?, ?, ?, ?)');

const openai = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY ?? 'bench' });

const frame = (event) => `data: ${JSON.stringify(event)}\n\n`;

/** Answers one message: store it, relay the provider's stream as SSE, store the answer. */
async function chat(model, content, response) {
  const conversationId = randomUUID();
  insertMessage.run(conversationId, 'user', content, Date.now());
  const controller = new AbortController();
  // The client left before the end (Node 20: the response's close, not the request's).
  response.once('close', () => {
    if (!response.writableEnded) controller.abort();
  });
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let answer = '';
  let finished = false;
  try {
    const stream = await openai.chat.completions.create(
      { model, messages: [{ role: 'user', content }], stream: true, stream_options: { include_usage: true } },
      { signal: controller.signal },
    );
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      const delta = choice?.delta?.content;
      if (delta) {
        answer += delta;
        response.write(frame({ type: 'text-delta', delta }));
      }
      if (choice?.finish_reason) finished = true;
    }
    // The SDK's iterator ends silently when the provider closes early: that is a failure too.
    if (!finished) throw new Error('the provider closed the stream before finishing');
    insertMessage.run(conversationId, 'assistant', answer, Date.now());
    response.end(frame({ type: 'finish' }));
  } catch (error) {
    if (controller.signal.aborted) return;
    response.end(frame({ type: 'error', message: String(error?.message ?? error) }));
  }
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://relay');
  const model = url.searchParams.get('model');
  const content = url.searchParams.get('content');
  if (request.method !== 'GET' || url.pathname !== '/chat' || !model || !content) {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"GET /chat?model=&content="}');
    return;
  }
  chat(model, content, response).catch((error) => {
    console.error(error);
    response.destroy();
  });
});
server.maxConnections = Infinity;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
process.once('SIGTERM', () => {
  database.close();
  process.exit(0);
});
