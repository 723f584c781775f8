import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChatSendInput, type ChatSendOutput, type FinishReason, type Usage } from '@threadline/shared';
import { DEFAULT_AGENT } from '../../agents/registry.js';
import type { ModelTool } from '../../providers/types.js';
import type { StartRequest } from '../../runs/index.js';
import type { Services } from '../../services.js';
import { findRun } from '../../store/runs.js';
import type { AuthUser } from '../../store/users.js';
import { authenticate, HttpError, invalidBody, onClientGone, readJsonBody, sendJson, toHttpError } from '../http-io.js';
import { convertOpenAIMessages } from './convert-openai-messages.js';
import { resolveModelId } from './model-ids.js';
import { ChatCompletionRequest, type CompletionUsage } from './openai-api.js';
import { runErrorBody, sendOpenAIError, statusOfRunError } from './openai-errors.js';

/** The header that makes a request continue a stored session (its last user message only) instead of a stateless run. */
export const SESSION_HEADER = 'x-threadline-session-id';

/** Why a call that needs approval is denied here: an OpenAI client has no way to answer. */
const NO_APPROVALS = 'approvals cannot be asked over the OpenAI-compatible API';

/** OpenAI's finish reasons. A run that used up its tool steps stopped for length. */
export function openAIFinishReason(reason: FinishReason | null): 'stop' | 'length' | 'content_filter' {
  switch (reason) {
    case 'length':
    case 'tool-calls':
      return 'length';
    case 'content-filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

export function openAIUsage(usage: Usage): CompletionUsage {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    ...(usage.cachedInputTokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cachedInputTokens } } : {}),
    ...(usage.reasoningTokens !== undefined ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } } : {}),
  };
}

/** The run a request asks for: its start request, the body, and the names of the client's own tools. */
async function startRequestOf(services: Services, user: AuthUser, request: IncomingMessage): Promise<{ start: StartRequest; body: ChatCompletionRequest; clientTools: Set<string> }> {
  const parsed = ChatCompletionRequest.safeParse(await readJsonBody(request, services.config.maxBodyBytes));
  if (!parsed.success) throw invalidBody(parsed.error);
  const body = parsed.data;
  const choice = await resolveModelId(services, body.model);
  const conversation = convertOpenAIMessages(body.messages);
  const header = request.headers[SESSION_HEADER];
  const sessionId = typeof header === 'string' && header ? header : undefined;
  const clientTools = clientToolsOf(services, body, 'agent' in choice ? choice.agent : DEFAULT_AGENT);
  if (sessionId && (clientTools.length > 0 || conversation.continued.length > 0)) {
    throw new HttpError(400, 'invalid', `with ${SESSION_HEADER} the request's last message is a user message and it has no tools: a stored session runs only the agent's tools`, undefined, 'tools');
  }
  const input = ChatSendInput.safeParse({ content: conversation.content, ...choice, ...(sessionId ? { sessionId } : {}) });
  if (!input.success) throw invalidBody(input.error);
  const start: StartRequest = {
    ...input.data,
    userId: user.id,
    // A stored session has its own history: only the new user message is taken from the request.
    ...(sessionId ? {} : { prior: conversation.prior, continued: conversation.continued, clientTools }),
    ...(conversation.instructions ? { instructions: conversation.instructions } : {}),
  };
  return { start, body, clientTools: new Set(clientTools.map((tool) => tool.name)) };
}

/** The request's `tools` as the model sees them; a name the agent's own tools use is refused. */
function clientToolsOf(services: Services, body: ChatCompletionRequest, agentName: string): ModelTool[] {
  const own = new Set(services.agents.get(agentName).tools.map((tool) => tool.name));
  return (body.tools ?? []).map(({ function: tool }) => {
    if (own.has(tool.name) || tool.name.startsWith('handoff_to_')) {
      throw new HttpError(400, 'invalid', `the tool name ${tool.name} is taken by the agent ${agentName}`, undefined, 'tools');
    }
    return { name: tool.name, description: tool.description ?? '', inputSchema: tool.parameters ?? { type: 'object', properties: {} } };
  });
}

/** A call of a client tool in OpenAI's shape. */
function toolCallOf(call: { callId: string; name: string; input: unknown }) {
  return { id: call.callId, type: 'function' as const, function: { name: call.name, arguments: JSON.stringify(call.input ?? {}) } };
}

/**
 * `POST /v1/chat/completions`: one Threadline run per request, through the run engine like any
 * chat.send; tools run on the server inside the agent loop (calls that need approval are denied,
 * the model hears why). Streams OpenAI chunks (`stream: true`) or answers one completion. The client
 * leaving before the end cancels the run.
 */
export async function chatCompletions(services: Services, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { engine } = services;
  let user: AuthUser;
  let runId: string;
  let body: ChatCompletionRequest;
  let clientTools: Set<string>;
  try {
    user = await authenticate(services, request);
    const started = await startRequestOf(services, user, request);
    ({ body, clientTools } = started);
    runId = await engine.start(started.start);
  } catch (error) {
    return sendOpenAIError(response, toHttpError(error));
  }
  const userId = user.id;
  const cancel = () => void engine.cancel(userId, runId, 'the client disconnected').catch(() => {});
  const deny = (callId: string) => engine.decide(userId, runId, { approved: false, callIds: [callId], reason: NO_APPROVALS }).catch(() => {});
  const completion = { id: `chatcmpl-${runId}`, created: Math.floor(Date.now() / 1000), model: body.model };

  if (!body.stream) {
    onClientGone(response, cancel);
    try {
      await answerOnce(services, response, { userId, runId, completion, deny, clientTools });
    } catch (error) {
      sendOpenAIError(response, toHttpError(error));
    }
    return;
  }
  await streamAnswer(services, response, { userId, runId, completion, deny, clientTools, cancel, includeUsage: body.stream_options?.include_usage === true });
}

interface Answering {
  userId: string;
  runId: string;
  /** The fields every completion object of this answer repeats. */
  completion: { id: string; created: number; model: string };
  deny(callId: string): Promise<void>;
  /** The names of the client's own tools: their calls go back to the client. */
  clientTools: Set<string>;
}

/** Waits for the run's end (denying approvals it asks for) and answers one `chat.completion`, or the run's error. */
async function answerOnce(services: Services, response: ServerResponse, { userId, runId, completion, deny, clientTools }: Answering): Promise<void> {
  const { engine } = services;
  let outcome: ChatSendOutput = await engine.outcome(userId, runId);
  while (outcome.status === 'waiting') {
    for (const approval of outcome.approvals) if (approval.decision === 'pending') await deny(approval.callId);
    outcome = await engine.outcome(userId, runId);
  }
  if (outcome.error) return sendJson(response, statusOfRunError(outcome.error.code), runErrorBody(outcome.error));
  if (outcome.status === 'cancelled') return sendJson(response, 409, cancelledBody('the run was cancelled'));
  // The outcome does not carry the finish reason; the run's record does.
  const finishReason = (await findRun(services.db, userId, runId))?.finishReason ?? null;
  const calls = outcome.message.parts.flatMap((part) => (part.type === 'tool-call' && clientTools.has(part.name) ? [toolCallOf(part)] : []));
  const message = { role: 'assistant', content: outcome.message.content || (calls.length ? null : ''), refusal: null, ...(calls.length ? { tool_calls: calls } : {}) };
  sendJson(response, 200, {
    ...completion,
    object: 'chat.completion',
    choices: [{ index: 0, message, logprobs: null, finish_reason: calls.length ? 'tool_calls' : openAIFinishReason(finishReason) }],
    usage: openAIUsage(outcome.usage),
  });
}

function cancelledBody(message: string) {
  return { error: { message, type: 'invalid_request_error', param: null, code: 'run_cancelled' } };
}

/** Streams the run as `chat.completion.chunk` frames, `[DONE]` last; an error frame when it fails or is cancelled. */
async function streamAnswer(services: Services, response: ServerResponse, options: Answering & { cancel(): void; includeUsage: boolean }): Promise<void> {
  const { userId, runId, completion, deny, clientTools, cancel, includeUsage } = options;
  let calls = 0;
  const left = new AbortController();
  onClientGone(response, () => {
    left.abort();
    cancel();
  });
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const write = (data: unknown) => response.write(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    write({ ...completion, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...(includeUsage ? { usage: null } : {}) });
  chunk({ role: 'assistant', content: '' });
  try {
    for await (const { event } of await services.engine.events(userId, runId, 0, left.signal)) {
      switch (event.type) {
        case 'text-delta':
          chunk({ content: event.delta });
          break;
        case 'reasoning-delta':
          // DeepSeek's field, which Open WebUI and LibreChat show as thinking; the official SDK passes it through.
          chunk({ reasoning_content: event.delta });
          break;
        case 'tool-call':
          // Only the client's own tools' calls: the agent's run here, inside the loop.
          if (clientTools.has(event.name)) chunk({ tool_calls: [{ index: calls++, ...toolCallOf(event) }] });
          break;
        case 'tool-approval':
          void deny(event.callId);
          break;
        case 'run-finish':
          chunk({}, calls > 0 ? 'tool_calls' : openAIFinishReason(event.finishReason));
          if (includeUsage) write({ ...completion, object: 'chat.completion.chunk', choices: [], usage: openAIUsage(event.usage) });
          response.end('data: [DONE]\n\n');
          return;
        case 'run-error':
          // An `error` frame: the official SDKs throw it as an APIError.
          write(runErrorBody(event));
          return void response.end();
        case 'run-cancel':
          write(cancelledBody(`the run was cancelled: ${event.reason}`));
          return void response.end();
        default:
          // Tool calls and results, agent changes, queue positions: the run's own business.
          break;
      }
    }
  } catch (error) {
    services.logger.error({ err: error, runId }, 'OpenAI-compatible stream failed');
  }
  response.end();
}
