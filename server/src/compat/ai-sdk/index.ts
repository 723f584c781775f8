import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChatSendInput, RequestId } from '@threadline/shared';
import type { Services } from '../../services.js';
import { listRuns } from '../../store/runs.js';
import { allMessages } from '../../store/messages.js';
import { findSession } from '../../store/sessions.js';
import type { AuthUser } from '../../store/users.js';
import { authenticate, HttpError, invalidBody, readJsonBody, sendJson, toHttpError } from '../http-io.js';
import { chatSession, sessionIdOfChat } from './chat-session.js';
import { DisconnectWatch } from './disconnects.js';
import { writeRunStream } from './run-stream.js';
import { parseApprovalId } from './ui-message-chunks.js';
import { ChatRequestBody, toUIMessage, turnOf } from './ui-messages.js';

export type { ThreadlineChunk, ThreadlineDataParts, ThreadlineMessageMetadata } from './ui-message-chunks.js';
export type { ThreadlineUIMessage } from './ui-messages.js';

/**
 * The AI SDK's UI message stream endpoints, for `useChat` with its default transport:
 * `POST /api/chat` (send a message, or answer approval requests), `GET /api/chat/{id}/stream`
 * (resume the chat's active run from its start; 204 when none), and `GET /api/chat/{id}/messages`
 * (the chat's stored messages as UI messages, for a page's initial `messages`).
 */
export function createAiSdkRoutes(services: Services): { handle(request: IncomingMessage, response: ServerResponse, path: string): void; close(): void } {
  const watch = new DisconnectWatch(services.config.chatResumeGraceMs, (userId, runId) => {
    void services.engine.cancel(userId, runId, 'the client disconnected').catch(() => {});
  });
  return {
    handle(request, response, path) {
      route(services, watch, request, response, path).catch((error: unknown) => {
        const failure = toHttpError(error);
        if (failure.status === 500) services.logger.error({ err: error, path }, 'AI SDK chat request failed');
        sendJson(response, failure.status, { error: { message: failure.message, code: failure.kind } }, failure.status === 429 ? (failure.retryAfterMs ?? 1_000) : undefined);
      });
    },
    close: () => watch.clear(),
  };
}

async function route(services: Services, watch: DisconnectWatch, request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
  const method = request.method ?? 'GET';
  if (path === '/api/chat') {
    if (method !== 'POST') throw new HttpError(405, 'invalid', 'use POST /api/chat');
    return post(services, watch, await authenticate(services, request), request, response);
  }
  const match = /^\/api\/chat\/([^/]+)\/(stream|messages)$/.exec(path);
  if (!match) throw new HttpError(404, 'not_found', 'not found');
  if (method !== 'GET') throw new HttpError(405, 'invalid', `use GET ${path}`);
  const user = await authenticate(services, request);
  const chatId = decoded(match[1]!);
  const sessionId = await sessionIdOfChat(services, user.id, chatId);
  if (match[2] === 'messages') {
    const session = await findSession(services.db, user.id, sessionId);
    return sendJson(response, 200, { id: chatId, sessionId: session ? session.id : null, messages: session ? (await allMessages(services.db, session.id)).map(toUIMessage) : [] });
  }
  // Resume: the chat's oldest active run, from its start; 204 when nothing runs (also for an unknown chat).
  const { items } = await listRuns(services.db, user.id, { sessionId, status: ['queued', 'running', 'waiting'], limit: 20 });
  const run = items.at(-1);
  if (!run) return void response.writeHead(204).end();
  return writeRunStream(services, response, { userId: user.id, runId: run.id, reader: watch.attach(user.id, run.id, false) });
}

async function post(services: Services, watch: DisconnectWatch, user: AuthUser, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const parsed = ChatRequestBody.safeParse(await readJsonBody(request, services.config.maxBodyBytes));
  if (!parsed.success) throw invalidBody(parsed.error);
  const body = parsed.data;
  const turn = turnOf(body);
  const watched = (runId: string) => {
    if (body.onDisconnect === 'continue') return undefined;
    return watch.attach(user.id, runId, true);
  };

  if (turn.kind === 'message') {
    const session = await chatSession(services, user.id, body.id, body.agent);
    // The UI message's id makes the send idempotent: the same message posted twice is one run.
    const requestId = RequestId.safeParse(`ai-sdk:${turn.messageId}`);
    const input = ChatSendInput.safeParse({
      sessionId: session.id,
      content: turn.text,
      ...(body.agent ? { agent: body.agent } : {}),
      ...(body.model ? { model: body.model } : {}),
      ...(requestId.success ? { requestId: requestId.data } : {}),
    });
    if (!input.success) throw invalidBody(input.error);
    const runId = await services.engine.start({ ...input.data, userId: user.id });
    return writeRunStream(services, response, { userId: user.id, runId, reader: watched(runId) });
  }

  // Approval responses (useChat's addToolApprovalResponse): each becomes runs.approve / runs.deny of its call.
  const decided = new Set<string>();
  let runId: string | undefined;
  for (const { approvalId, approved, reason } of turn.responses) {
    const target = parseApprovalId(approvalId);
    if (!target) throw new HttpError(400, 'invalid', `unknown approval id ${approvalId}`, undefined, 'messages');
    await services.engine.decide(user.id, target.runId, { approved, callIds: [target.callId], ...(reason ? { reason } : {}) });
    decided.add(target.callId);
    runId = target.runId;
  }
  // The client's message holds the run up to its approval requests: the stream continues from the decisions.
  return writeRunStream(services, response, {
    userId: user.id,
    runId: runId!,
    // From the first decision (or, when the decision was in already, the first result) of these calls.
    startsAt: (event) => (event.type === 'tool-decision' || event.type === 'tool-result') && decided.has(event.callId),
    reader: watched(runId!),
  });
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid', 'the chat id is not validly encoded', undefined, 'id');
  }
}
