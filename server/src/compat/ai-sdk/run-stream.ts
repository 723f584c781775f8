import type { ServerResponse } from 'node:http';
import type { UI_MESSAGE_STREAM_HEADERS } from 'ai';
import { isTerminalEvent, type StreamEvent } from '@threadline/shared';
import type { Services } from '../../services.js';
import { findRun } from '../../store/runs.js';
import { onClientGone } from '../http-io.js';
import { type ThreadlineChunk, UIMessageChunkMapper } from './ui-message-chunks.js';

/**
 * The ai package's `UI_MESSAGE_STREAM_HEADERS`, written out: importing the package at run time
 * would load it (and OpenTelemetry's API) into every server for five strings. The type keeps the
 * same names as the package's.
 */
const STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-vercel-ai-ui-message-stream': 'v1',
  'x-accel-buffering': 'no',
} satisfies typeof UI_MESSAGE_STREAM_HEADERS;

/** How one response streams one run. */
export interface RunStreamOptions {
  userId: string;
  runId: string;
  /**
   * Where the response starts in the run's events: undefined for its start (a new run, or a resume:
   * `DefaultChatTransport` replays from the start), or the first event to send (a continuation
   * after approvals: the events before it are in the client's message already).
   */
  startsAt?: (event: StreamEvent) => boolean;
  /** Told when the client went away before the end, and when the stream ended by itself. */
  reader?: { left(): void; ended(): void };
}

/**
 * Writes a run as the ai package's UI message stream: SSE `data: <chunk>` frames, `[DONE]` last.
 * The stream ends with the run's end (`finish`, `error` or `abort`), or at a pause for approvals
 * once every pending call's `tool-approval-request` went out (`finish` with reason `tool-calls`):
 * useChat answers them with the next request.
 */
export async function writeRunStream(services: Services, response: ServerResponse, options: RunStreamOptions): Promise<void> {
  const { userId, runId, reader } = options;
  const left = new AbortController();
  onClientGone(response, () => {
    left.abort();
    reader?.left();
  });
  response.writeHead(200, STREAM_HEADERS);
  const write = (chunks: ThreadlineChunk[]) => {
    for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  const mapper = new UIMessageChunkMapper({ runId });
  let sending = options.startsAt === undefined;
  if (!sending) write([{ type: 'start', messageId: runId }]);
  /** The calls the run waits for that this stream has not announced yet (loaded at the first announcement). */
  let unannounced: Set<string> | undefined;
  try {
    for await (const { id, event } of await services.engine.events(userId, runId, 0, left.signal)) {
      if (!sending && options.startsAt?.(event)) sending = true;
      if (!sending) continue;
      write(mapper.map(id, event));
      if (isTerminalEvent(event)) break;
      if (event.type === 'tool-approval') {
        unannounced ??= await pendingCalls(services, userId, runId);
        unannounced.delete(event.callId);
        if (unannounced.size === 0) {
          write([...mapper.close(), { type: 'finish', finishReason: 'tool-calls', messageMetadata: { runId } }]);
          break;
        }
      }
    }
  } catch (error) {
    services.logger.error({ err: error, runId }, 'UI message stream failed');
    write([{ type: 'error', errorText: 'the stream failed; reload to resume' }]);
  }
  reader?.ended();
  if (!response.writableEnded) response.end('data: [DONE]\n\n');
}

/** The calls the run waits for now: none unless it is stored `waiting` (it is, before it announces them). */
async function pendingCalls(services: Services, userId: string, runId: string): Promise<Set<string>> {
  const run = await findRun(services.db, userId, runId);
  if (run?.status !== 'waiting') return new Set(['(not waiting)']);
  return new Set(run.approvals.filter((approval) => approval.decision === 'pending').map((approval) => approval.callId));
}
