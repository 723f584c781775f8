import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { sendError, startFakeServer, writeFrames, type FakeServer, type FakeTurn, type RecordedRequest } from './fake-server.js';

/** How the OpenAI fake behaves beyond its scripted turns. */
export interface OpenAIFakeOptions {
  /** Model ids `GET /v1/models` lists (default: gpt-test, gpt-test-mini). */
  models?: string[];
  /** When set, a request with another bearer token gets OpenAI's 401 `invalid_api_key`. */
  apiKey?: string;
  /** The delta field reasoning goes in: DeepSeek's `reasoning_content` (default) or vLLM's `reasoning`. */
  reasoningField?: 'reasoning_content' | 'reasoning';
  /**
   * The model's context window, tokens: a request whose prompt (counted by `countPromptTokens`) and
   * `max_tokens` pass it gets OpenAI's 400 `context_length_exceeded`; one within it reports its
   * prompt tokens in its usage.
   */
  contextWindow?: number;
}

/**
 * The fake's tokenizer: characters / 3 of every message's text, tool calls and tool results, plus
 * 4 per message, and of the tool definitions; more tokens than Threadline's characters / 4
 * estimate, as a real tokenizer often makes of code and JSON.
 */
export function countPromptTokens(body: any): number {
  let tokens = 0;
  for (const message of body?.messages ?? []) {
    const text = typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? '');
    const calls = (message.tool_calls ?? []).map((call: any) => call.id + call.function.name + call.function.arguments).join('');
    tokens += Math.ceil((text.length + calls.length) / 3) + 4;
  }
  if (body?.tools) tokens += Math.ceil(JSON.stringify(body.tools).length / 3);
  return tokens;
}

/** OpenAI's error bodies, as its API sends them, for `FakeTurn.error`. */
export const openAIErrors = {
  invalidApiKey: (apiKey: string): NonNullable<FakeTurn['error']> => ({
    status: 401,
    body: errorBody(
      `Incorrect API key provided: ${maskKey(apiKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      'invalid_request_error',
      'invalid_api_key',
    ),
  }),
  rateLimited: (headers: Record<string, string> = {}): NonNullable<FakeTurn['error']> => ({
    status: 429,
    headers,
    body: errorBody(
      'Rate limit reached for gpt-test in organization org-fake on tokens per min (TPM): Limit 30000, Used 30000, Requested 120. Please try again in 20ms.',
      'tokens',
      'rate_limit_exceeded',
    ),
  }),
  serverError: (status = 500): NonNullable<FakeTurn['error']> => ({
    status,
    body: errorBody('The server had an error while processing your request. Sorry about that!', 'server_error', null),
  }),
  contextLength: (window = 128_000, tokens = 130_412): NonNullable<FakeTurn['error']> => ({
    status: 400,
    body: errorBody(
      `This model's maximum context length is ${window} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
      'invalid_request_error',
      'context_length_exceeded',
      'messages',
    ),
  }),
  modelNotFound: (model: string): NonNullable<FakeTurn['error']> => ({
    status: 404,
    body: errorBody(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'),
  }),
};

/** The in-stream error frame OpenAI sends when a stream fails after it started. */
const streamErrorFrame = (message = 'The server had an error while processing your request. Sorry about that!') =>
  `data: ${JSON.stringify(errorBody(message, 'server_error', null))}\n\n`;

/** A chunk cut off in the middle of its JSON. */
const MALFORMED_FRAME = 'data: {"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\n\n';

/**
 * A fake OpenAI API on 127.0.0.1 speaking Chat Completions streaming exactly as api.openai.com does:
 * `POST /v1/chat/completions` answers each request with the next scripted FakeTurn, `GET /v1/models`
 * lists the models. Use `${fake.url}/v1` as the base URL.
 */
export async function startOpenAIFake(options: OpenAIFakeOptions = {}): Promise<FakeServer> {
  const models = options.models ?? ['gpt-test', 'gpt-test-mini'];
  return startFakeServer(async (request, response, fake) => {
    const path = request.path.replace(/^\/v1(?=\/)/, '');
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      const presented = String(request.headers.authorization ?? '').replace(/^Bearer /, '');
      return sendError(response, openAIErrors.invalidApiKey(presented));
    }
    if (request.method === 'GET' && path === '/models') {
      const data = models.map((id) => ({ id, object: 'model', created: 1_686_935_002, owned_by: 'openai' }));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data }));
      return;
    }
    if (request.method === 'POST' && path === '/chat/completions') {
      const promptTokens = countPromptTokens(request.body);
      if (options.contextWindow !== undefined && promptTokens + Number(request.body?.max_completion_tokens ?? request.body?.max_tokens ?? 0) > options.contextWindow) {
        return sendError(response, openAIErrors.contextLength(options.contextWindow, promptTokens));
      }
      const turn = fake.nextTurn();
      if (turn.error) return sendError(response, turn.error);
      if (request.body?.stream !== true) {
        return sendError(response, { status: 400, body: errorBody('this fake only answers streaming requests', 'invalid_request_error', null) });
      }
      const counted = options.contextWindow !== undefined && !turn.usage ? { ...turn, usage: { inputTokens: promptTokens, outputTokens: turn.text?.length ?? 0 } } : turn;
      return streamTurn(request, response, counted, options.reasoningField ?? 'reasoning_content');
    }
    sendError(response, { status: 404, body: errorBody(`Invalid URL (${request.method} ${request.path})`, 'invalid_request_error', null) });
  });
}

/** Streams one turn as Chat Completions chunks: role, reasoning, text, tool-call fragments, finish, usage, [DONE]. */
async function streamTurn(request: RecordedRequest, response: ServerResponse, turn: FakeTurn, reasoningField: string): Promise<void> {
  const includeUsage = request.body?.stream_options?.include_usage === true;
  const base = {
    id: `chatcmpl-${randomBytes(12).toString('base64url')}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: String(request.body?.model ?? 'gpt-test'),
    service_tier: 'default',
    system_fingerprint: 'fp_fake00001',
  };
  // With include_usage every chunk has `usage: null` but the last, whose `choices` is empty.
  const frame = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify({ ...base, choices, ...(includeUsage ? { usage } : {}), obfuscation: randomBytes(3).toString('hex') })}\n\n`;
  const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => [
    { index: 0, delta, logprobs: null, finish_reason: finishReason },
  ];

  const content: string[] = [];
  for (const piece of turn.reasoning ?? []) content.push(frame(choice({ [reasoningField]: piece })));
  for (const piece of turn.text ?? []) content.push(frame(choice({ content: piece })));
  for (const [index, call] of (turn.toolCalls ?? []).entries()) {
    content.push(frame(choice({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] })));
    for (const piece of splitIntoPieces(JSON.stringify(call.input), 3)) {
      content.push(frame(choice({ tool_calls: [{ index, function: { arguments: piece } }] })));
    }
  }
  const finishReason = turn.stopReason ?? (turn.toolCalls?.length ? 'tool_calls' : 'stop');
  content.push(frame(choice({}, finishReason)));
  if (includeUsage) content.push(frame([], usageOf(turn)));

  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, must-revalidate',
    'x-request-id': `req_${randomBytes(8).toString('hex')}`,
  });
  response.write(frame(choice({ role: 'assistant', content: '', refusal: null })));
  const completed = await writeFrames(response, content, turn, { malformed: MALFORMED_FRAME, streamError: streamErrorFrame(turn.streamErrorMessage) });
  if (!completed) return;
  if (!turn.omitTerminal) response.write('data: [DONE]\n\n');
  response.end();
}

function usageOf(turn: FakeTurn) {
  const usage = turn.usage ?? { inputTokens: 12, outputTokens: (turn.text?.length ?? 0) + (turn.reasoning?.length ?? 0) };
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function errorBody(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** OpenAI shows only the ends of a wrong key. */
function maskKey(apiKey: string): string {
  return `${apiKey.slice(0, 3)}${'*'.repeat(Math.max(4, apiKey.length - 7))}${apiKey.slice(-4)}`;
}

/** `text` in `count` nearly equal pieces (fewer when it is short). */
function splitIntoPieces(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}
