import type { ServerResponse } from 'node:http';
import { sendError, startFakeServer, writeFrames, type FakeServer, type FakeTurn } from './fake-server.js';

/** Options of the Ollama fake. */
export interface OllamaFakeOptions {
  /** What `GET /api/tags` lists (default: `llama3.2:latest`, `qwen3:8b`). */
  models?: string[];
  /** Answer every request with 401 unless it carries this `authorization` header. */
  authorization?: string;
}

/**
 * A fake Ollama server speaking its native API over HTTP: `POST /api/chat` streams NDJSON (one JSON
 * object per line, `message.thinking` / `message.content` pieces, whole tool calls with object
 * arguments and no id, a last line with `done: true`, `done_reason`, the counts and durations in
 * ns) scripted per request with FakeTurn, and `GET /api/tags` lists models.
 */
export async function startOllamaFake(options: OllamaFakeOptions = {}): Promise<FakeServer> {
  const models = options.models ?? ['llama3.2:latest', 'qwen3:8b'];
  return startFakeServer(async (request, response, fake) => {
    if (options.authorization && request.headers.authorization !== options.authorization) {
      sendError(response, { status: 401, body: { error: 'unauthorized' } });
      return;
    }
    if (request.method === 'GET' && request.path === '/api/tags') {
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ models: models.map(tagEntry) }));
      return;
    }
    if (request.method === 'POST' && request.path === '/api/chat') {
      await streamChat(request.body?.model ?? 'unknown', fake.nextTurn(), response);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found');
  });
}

async function streamChat(model: string, turn: FakeTurn, response: ServerResponse): Promise<void> {
  if (turn.error) {
    sendError(response, turn.error);
    return;
  }
  const line = (message: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    `${JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content: '', ...message }, done: false, ...extra })}\n`;
  const frames = [
    ...(turn.reasoning ?? []).map((thinking) => line({ thinking })),
    ...(turn.text ?? []).map((content) => line({ content })),
    // Ollama sends each tool call whole as soon as it is parsed; arguments are an object.
    ...(turn.toolCalls ?? []).map((call) => line({ tool_calls: [{ function: { name: call.name, arguments: call.input } }] })),
  ];
  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const completed = await writeFrames(response, frames, turn, {
    malformed: `{"model":"${model}","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"tru\n`,
    streamError: `${JSON.stringify({ error: turn.streamErrorMessage ?? 'an error was encountered while running the model: unexpected EOF' })}\n`,
  });
  if (!completed) return;
  if (!turn.omitTerminal) {
    const usage = turn.usage ?? { inputTokens: 12, outputTokens: frames.length };
    response.write(
      line(
        {},
        {
          done: true,
          done_reason: turn.stopReason ?? 'stop',
          total_duration: 1_523_000_000,
          load_duration: 21_000_000,
          prompt_eval_count: usage.inputTokens,
          prompt_eval_duration: 94_000_000,
          eval_count: usage.outputTokens,
          eval_duration: 1_400_000_000,
        },
      ),
    );
  }
  response.end();
}

function tagEntry(name: string) {
  return {
    name,
    model: name,
    modified_at: '2025-05-04T12:00:00.000000000Z',
    size: 2_019_393_189,
    digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
    details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
  };
}
