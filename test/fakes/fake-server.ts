import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake received, with when its connection closed (set when it does). */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The request's target as sent: the path and its query string. */
  target: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body, or undefined for none. */
  body: any;
  receivedAt: number;
  /** When the response's connection closed before the fake ended it (the client aborted). */
  abortedAt?: number;
}

/** What a scripted fake answers to one model request. Each provider fake renders it in its own wire format. */
export interface FakeTurn {
  /** Answer with this HTTP error instead of a stream. */
  error?: { status: number; body: unknown; headers?: Record<string, string> };
  /** Reasoning pieces, streamed first. */
  reasoning?: string[];
  /** Text pieces. */
  text?: string[];
  /** Tool calls after the text. */
  toolCalls?: { id: string; name: string; input: unknown }[];
  usage?: { inputTokens: number; outputTokens: number; reasoningTokens?: number; cachedInputTokens?: number; cacheWriteInputTokens?: number };
  /** The provider's own stop/finish reason string (default: its normal "stop"). */
  stopReason?: string;
  /** Delay between frames, ms. */
  delayMs?: number;
  /** Holds the frames back until this settles: a request kept in flight for as long as a test needs. */
  gate?: Promise<void>;
  /** Destroy the socket after this many content frames. */
  resetAfter?: number;
  /** Send a malformed JSON frame after this many content frames. */
  malformedAfter?: number;
  /** Stop sending (keep the socket open) after this many content frames. */
  stallAfter?: number;
  /** End the response without the provider's terminal marker. */
  omitTerminal?: boolean;
  /** Send the provider's in-stream error event after this many content frames (Anthropic `error`, OpenAI `error` key, Ollama `{error}`). */
  streamErrorAfter?: number;
  /** The message of that in-stream error (default: each provider's usual one). */
  streamErrorMessage?: string;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Queues turns; each model request takes the next (the last one repeats when the queue runs dry). */
  script(...turns: FakeTurn[]): void;
  /** The next turn for a model request. */
  nextTurn(): FakeTurn;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export type FakeHandler = (request: RecordedRequest, response: ServerResponse, fake: FakeServer) => void | Promise<void>;

/** An HTTP server on 127.0.0.1 that records every request and hands it to `handler`. */
export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  const turns: FakeTurn[] = [];
  let last: FakeTurn = { text: ['ok'] };
  const requests: RecordedRequest[] = [];
  const fake: FakeServer = {
    url: '',
    requests,
    script: (...more) => void turns.push(...more),
    nextTurn: () => (last = turns.shift() ?? last),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    [Symbol.asyncDispose]: () => fake.close(),
  };
  const server = createServer(async (incoming, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const request: RecordedRequest = {
      method: incoming.method ?? 'GET',
      path: (incoming.url ?? '/').split('?')[0]!,
      target: incoming.url ?? '/',
      headers: incoming.headers,
      body: text ? JSON.parse(text) : undefined,
      receivedAt: Date.now(),
    };
    requests.push(request);
    response.on('close', () => {
      if (!response.writableEnded) request.abortedAt = Date.now();
    });
    try {
      await handler(request, response, fake);
    } catch (error) {
      if (!response.headersSent) response.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** Writes frames with the turn's delay, applying its faults; returns false when a fault ended the stream. */
export async function writeFrames(
  response: ServerResponse,
  frames: string[],
  turn: FakeTurn,
  faults: { malformed: string; streamError: string },
): Promise<boolean> {
  await turn.gate;
  for (const [index, frame] of frames.entries()) {
    if (response.destroyed) return false;
    if (turn.resetAfter === index) {
      // Let the frames already written leave first, so the client sees them before the reset.
      await new Promise<void>((resolve) => response.write('', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 10));
      response.socket?.destroy();
      return false;
    }
    if (turn.malformedAfter === index) {
      response.write(faults.malformed);
      response.end();
      return false;
    }
    if (turn.streamErrorAfter === index) {
      response.write(faults.streamError);
      response.end();
      return false;
    }
    if (turn.stallAfter === index) return false;
    if (turn.delayMs) await new Promise((resolve) => setTimeout(resolve, turn.delayMs));
    response.write(frame);
  }
  return true;
}

/** Sends a JSON error response. */
export function sendError(response: ServerResponse, error: NonNullable<FakeTurn['error']>): void {
  response.writeHead(error.status, { 'content-type': 'application/json', ...error.headers }).end(JSON.stringify(error.body));
}
