import { TRPCClientError } from '@trpc/client';
import { isTerminalEvent, type Message, type RunError, type StreamEvent, type Usage } from '@threadline/shared';
import { initialAnswerState, reduceAnswer, type AnswerEndStatus, type AnswerState } from './answer-state.js';
import type { ThreadlineClient } from './client.js';
import { iterateSubscription } from './subscription-iterable.js';
import type { RouterInputs } from './types.js';

/** What `streamChat` sends: chat.stream's input, with `requestId` optional (one is generated). */
export type StreamChatInput = Omit<RouterInputs['chat']['stream'], 'requestId' | 'lastEventId'> & { requestId?: string };

/** How the answer ended. */
export interface StreamChatResult {
  runId: string;
  sessionId: string | null;
  /** `completed`, `failed`, `cancelled` or `interrupted`. */
  status: AnswerEndStatus;
  /** The stored assistant message (partial when the run did not complete); null if none was kept. */
  message: Message | null;
  usage: Usage | null;
  error: RunError | null;
}

export interface StreamChatOptions {
  /** Stops reading (the run goes on unless `onDisconnect: 'cancel'` was sent). */
  signal?: AbortSignal;
  /** Reconnects allowed without receiving an event in between (default 8). */
  maxReconnects?: number;
  /** First wait before reconnecting, doubled each time (default 250 ms, at most 5 s). */
  reconnectDelayMs?: number;
}

/** A streamed answer: iterate its events; `result` settles with how it ended. */
export interface ChatStream extends AsyncIterable<StreamEvent> {
  readonly requestId: string;
  /** Settles after the terminal event (rejects when the stream cannot be read). */
  readonly result: Promise<StreamChatResult>;
}

/** Error codes that will not change by asking again. */
const FINAL_CODES = new Set(['BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'UNPROCESSABLE_CONTENT']);

/**
 * Sends a message and streams the answer as typed events. When the connection fails (a network
 * error, a proxy cutting SSE, a server restart) it reconnects with the same requestId and the last
 * event id it saw, so the events continue with no gap and no repeat and no second run starts.
 * Errors that asking again cannot fix (bad input, auth, unknown session) are thrown.
 */
export function streamChat(client: ThreadlineClient, input: StreamChatInput, options: StreamChatOptions = {}): ChatStream {
  const requestId = input.requestId ?? crypto.randomUUID();
  let settle: { resolve(result: StreamChatResult): void; reject(error: unknown): void } | undefined;
  const result = new Promise<StreamChatResult>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => {});
  return {
    requestId,
    result,
    [Symbol.asyncIterator]: () => read(client, { ...input, requestId }, options, settle!),
  };
}

async function* read(
  client: ThreadlineClient,
  input: StreamChatInput & { requestId: string },
  options: StreamChatOptions,
  settle: { resolve(result: StreamChatResult): void; reject(error: unknown): void },
): AsyncGenerator<StreamEvent> {
  const maxReconnects = options.maxReconnects ?? 8;
  let answer = initialAnswerState;
  let lastEventId = 0;
  let failures = 0;
  try {
    for (;;) {
      const attempt = subscribe(client, { ...input, ...(lastEventId > 0 ? { lastEventId: String(lastEventId) } : {}) }, options.signal);
      let ended = false;
      try {
        for await (const { id, data } of attempt) {
          if (Number(id) <= lastEventId) continue;
          lastEventId = Number(id);
          failures = 0;
          answer = reduceAnswer(answer, data);
          yield data;
          if (isTerminalEvent(data)) {
            ended = true;
            break;
          }
        }
      } catch (error) {
        if (options.signal?.aborted || isFinal(error) || ++failures > maxReconnects) throw error;
      }
      if (ended) {
        settle.resolve(resultOf(answer));
        return;
      }
      if (options.signal?.aborted) throw options.signal.reason;
      const delay = Math.min((options.reconnectDelayMs ?? 250) * 2 ** Math.max(0, failures - 1), 5000);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  } catch (error) {
    settle.reject(error);
    throw error;
  }
}

function isFinal(error: unknown): boolean {
  return error instanceof TRPCClientError && FINAL_CODES.has((error.data as { code?: string } | undefined)?.code ?? '');
}

/** The result of an ended answer. */
function resultOf(answer: AnswerState): StreamChatResult {
  const { runId, sessionId, status, message, usage, error } = answer;
  return { runId: runId ?? '', sessionId, status: status as AnswerEndStatus, message, usage, error };
}

/** One chat.stream subscription as an async iterable; ends on completion, throws on error. */
function subscribe(client: ThreadlineClient, input: RouterInputs['chat']['stream'], signal: AbortSignal | undefined): AsyncGenerator<{ id: string; data: StreamEvent }> {
  return iterateSubscription((handlers) => client.chat.stream.subscribe(input, handlers), signal);
}
