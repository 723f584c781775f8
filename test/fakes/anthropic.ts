import type { ServerResponse } from 'node:http';
import { sendError, startFakeServer, writeFrames, type FakeServer, type FakeTurn, type RecordedRequest } from './fake-server.js';

/** A model as Anthropic's GET /v1/models lists it. */
export interface AnthropicFakeModel {
  type: 'model';
  id: string;
  display_name: string;
  created_at: string;
}

/** The models the fake lists unless told otherwise. */
export const ANTHROPIC_FAKE_MODELS: AnthropicFakeModel[] = [
  { type: 'model', id: 'claude-opus-4-5-20251101', display_name: 'Claude Opus 4.5', created_at: '2025-11-24T00:00:00Z' },
  { type: 'model', id: 'claude-haiku-4-5-20251001', display_name: 'Claude Haiku 4.5', created_at: '2025-10-01T00:00:00Z' },
];

/** Anthropic's error body: `{type: 'error', error: {type, message}, request_id}`. */
export function anthropicErrorBody(type: string, message: string): unknown {
  return { type: 'error', error: { type, message }, request_id: requestId() };
}

/**
 * A fake Anthropic API on 127.0.0.1: POST /v1/messages streams the next scripted FakeTurn as
 * Anthropic's SSE frames (each with its `event:` line, a `ping`, `message_stop` last);
 * GET /v1/models lists `models`. Like the real API it answers 401 without a key and 400 without
 * `anthropic-version`. Point the SDK's `baseURL` at `fake.url` (no `/v1`).
 */
/**
 * The Anthropic fake's tokenizer: characters / 2.8 of the system prompt, every content block's
 * text, tool input and tool result, plus 3 per message, and of the tool definitions (Claude's
 * tokenizer makes more tokens of a text than OpenAI's, and than Threadline's characters / 4).
 */
export function countAnthropicPromptTokens(body: any): number {
  const system = typeof body?.system === 'string' ? body.system : JSON.stringify(body?.system ?? '');
  let characters = system.length;
  let tokens = 0;
  for (const message of body?.messages ?? []) {
    const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    for (const block of blocks) characters += (block.text ?? block.thinking ?? JSON.stringify(block.input ?? block.content ?? '')).length;
    tokens += 3;
  }
  if (body?.tools) characters += JSON.stringify(body.tools).length;
  return tokens + Math.ceil(characters / 2.8);
}

/**
 * A fake Anthropic API; with `contextWindow`, a request whose prompt (by countAnthropicPromptTokens)
 * and `max_tokens` pass it gets Anthropic's 400 (`prompt is too long: …`, or `input length and
 * max_tokens exceed context limit: …`), and one within it reports its prompt tokens as `input_tokens`.
 */
export function startAnthropicFake(options: { models?: AnthropicFakeModel[]; contextWindow?: number } = {}): Promise<FakeServer> {
  const models = options.models ?? ANTHROPIC_FAKE_MODELS;
  return startFakeServer(async (request, response, fake) => {
    if (!request.headers['x-api-key'] && !request.headers.authorization) {
      return sendError(response, { status: 401, body: anthropicErrorBody('authentication_error', 'x-api-key header is required') });
    }
    if (!request.headers['anthropic-version']) {
      return sendError(response, { status: 400, body: anthropicErrorBody('invalid_request_error', 'anthropic-version: header is required') });
    }
    if (request.method === 'GET' && request.path === '/v1/models') {
      return void response
        .writeHead(200, { 'content-type': 'application/json', 'request-id': requestId() })
        .end(JSON.stringify({ data: models, has_more: false, first_id: models[0]?.id ?? null, last_id: models.at(-1)?.id ?? null }));
    }
    if (request.method === 'POST' && request.path === '/v1/messages') {
      const promptTokens = countAnthropicPromptTokens(request.body);
      const maxTokens = Number(request.body?.max_tokens ?? 0);
      if (options.contextWindow !== undefined && promptTokens + maxTokens > options.contextWindow) {
        // Anthropic's two refusals: the prompt alone is too long, or with the answer's room it is.
        const message =
          promptTokens > options.contextWindow
            ? `prompt is too long: ${promptTokens} tokens > ${options.contextWindow} maximum`
            : `input length and \`max_tokens\` exceed context limit: ${promptTokens} + ${maxTokens} > ${options.contextWindow}, decrease input length or \`max_tokens\` and try again`;
        return sendError(response, { status: 400, body: anthropicErrorBody('invalid_request_error', message), headers: { 'request-id': requestId() } });
      }
      const next = fake.nextTurn();
      const turn = options.contextWindow !== undefined && !next.usage ? { ...next, usage: { inputTokens: promptTokens, outputTokens: next.text?.length ?? 1 } } : next;
      if (turn.error) return sendError(response, { ...turn.error, headers: { 'request-id': requestId(), ...turn.error.headers } });
      if (request.body?.stream !== true) {
        return sendError(response, { status: 400, body: anthropicErrorBody('invalid_request_error', 'this fake only streams: set stream: true') });
      }
      return streamTurn(request, response, turn);
    }
    sendError(response, { status: 404, body: anthropicErrorBody('not_found_error', `${request.method} ${request.path} not found`) });
  });
}

interface Frame {
  text: string;
  /** A text, thinking or tool-input delta: what FakeTurn's fault counters count. */
  content: boolean;
}

const frame = (event: string, data: unknown, content = false): Frame => ({ text: `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`, content });

async function streamTurn(request: RecordedRequest, response: ServerResponse, turn: FakeTurn): Promise<void> {
  const frames = framesOf(turn, String(request.body.model));
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': requestId() });
  response.flushHeaders();
  // Fault counters count content frames; writeFrames counts all frames, so translate.
  const contentIndexes = frames.flatMap((item, index) => (item.content ? [index] : []));
  const endOfContent = frames.findIndex((item) => item.text.startsWith('event: message_delta'));
  const position = (count: number | undefined) => (count === undefined ? undefined : (contentIndexes[count] ?? endOfContent));
  // A reset stops like a stall, then destroys the socket once what was written has left: destroying
  // at once can drop the last frames still buffered, and the client would never see them.
  const faults: FakeTurn = {
    ...turn,
    resetAfter: undefined,
    malformedAfter: position(turn.malformedAfter),
    stallAfter: position(turn.resetAfter ?? turn.stallAfter),
    streamErrorAfter: position(turn.streamErrorAfter),
  };
  const completed = await writeFrames(
    response,
    frames.map((item) => item.text),
    faults,
    {
      malformed: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"bro\n\n',
      streamError: frame('error', anthropicErrorBody('overloaded_error', turn.streamErrorMessage ?? 'Overloaded')).text,
    },
  );
  if (completed) response.end();
  else if (turn.resetAfter !== undefined && !response.destroyed) {
    await new Promise((resolve) => response.write('', resolve));
    response.socket?.destroy();
  }
}

/** A turn as Anthropic streams it: thinking block, text block, tool_use blocks, message_delta, message_stop. */
function framesOf(turn: FakeTurn, model: string): Frame[] {
  const reasoning = turn.reasoning ?? [];
  const text = turn.text ?? [];
  const toolCalls = turn.toolCalls ?? [];
  const cached = turn.usage?.cachedInputTokens ?? 0;
  const cacheWrite = turn.usage?.cacheWriteInputTokens ?? 0;
  const inputTokens = turn.usage?.inputTokens ?? 12;
  const outputTokens = turn.usage?.outputTokens ?? reasoning.length + text.length + toolCalls.length * 5;
  const frames: Frame[] = [
    frame('message_start', {
      type: 'message_start',
      message: {
        id: `msg_${Math.random().toString(36).slice(2, 14)}`,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens - cached - cacheWrite, cache_creation_input_tokens: cacheWrite, cache_read_input_tokens: cached, output_tokens: 1, service_tier: 'standard' },
      },
    }),
  ];
  let index = 0;
  const block = (start: unknown, deltas: { data: unknown; content: boolean }[]) => {
    frames.push(frame('content_block_start', { type: 'content_block_start', index, content_block: start }));
    if (index === 0) frames.push(frame('ping', { type: 'ping' }));
    for (const delta of deltas) frames.push(frame('content_block_delta', { type: 'content_block_delta', index, delta: delta.data }, delta.content));
    frames.push(frame('content_block_stop', { type: 'content_block_stop', index }));
    index++;
  };
  if (reasoning.length > 0) {
    block({ type: 'thinking', thinking: '', signature: '' }, [
      ...reasoning.map((piece) => ({ data: { type: 'thinking_delta', thinking: piece }, content: true })),
      { data: { type: 'signature_delta', signature: `sig_${Buffer.from(reasoning.join('')).toString('base64')}` }, content: false },
    ]);
  }
  if (text.length > 0) {
    block(
      { type: 'text', text: '' },
      text.map((piece) => ({ data: { type: 'text_delta', text: piece }, content: true })),
    );
  }
  for (const call of toolCalls) {
    block(
      { type: 'tool_use', id: call.id, name: call.name, input: {} },
      ['', ...splitInThree(JSON.stringify(call.input))].map((piece) => ({ data: { type: 'input_json_delta', partial_json: piece }, content: true })),
    );
  }
  const stopReason = turn.stopReason ?? (toolCalls.length > 0 ? 'tool_use' : 'end_turn');
  frames.push(frame('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } }));
  if (!turn.omitTerminal) frames.push(frame('message_stop', { type: 'message_stop' }));
  return frames;
}

/** Partial JSON as Anthropic streams it: arbitrary cuts, not token or value boundaries. */
function splitInThree(json: string): string[] {
  const third = Math.ceil(json.length / 3);
  return [json.slice(0, third), json.slice(third, 2 * third), json.slice(2 * third)].filter(Boolean);
}

function requestId(): string {
  return `req_${Math.random().toString(36).slice(2, 14)}`;
}
