import { Ollama } from 'ollama';
import { splitCredentials } from '../../url-credentials.js';
import { ollamaErrorSchema } from './ollama-api.js';

/** Where Ollama is and how to authenticate, parsed once from OLLAMA_HOST. */
export interface OllamaConnection {
  /** The host without credentials, e.g. `http://127.0.0.1:11434` (safe to show). */
  host: string;
  /** Sent with every request: `Authorization: Basic` when OLLAMA_HOST carries `user:password@`. */
  headers: Record<string, string>;
  /** Strings that must never appear in an error message. */
  secrets: string[];
}

/**
 * OLLAMA_HOST → connection. Credentials in the URL (`http://user:key@proxy:11434`, for an Ollama
 * behind an authenticating proxy) become a Basic authorization header (`splitCredentials`).
 * Without a scheme, `http://` is assumed, as the `ollama` CLI does.
 */
export function parseOllamaHost(value: string): OllamaConnection {
  const { url, headers, secrets } = splitCredentials(value.includes('://') ? value : `http://${value}`);
  return { host: new URL(url).href.replace(/\/+$/, ''), headers, secrets };
}

/** What one request's transport saw, for mapping its failure. */
export interface OllamaExchange {
  /** Headers of an HTTP error response: `retry-after` lives there, and the package drops them. */
  errorHeaders?: Headers;
  /** The message of an `{"error": ...}` line in the stream, when one came. */
  streamError?: string;
}

/** A line of the NDJSON stream that is not JSON (the package would skip it silently). */
export class OllamaMalformedLineError extends Error {
  override readonly name = 'OllamaMalformedLineError';
}

/**
 * A client for ONE request. Its `fetch` adds `signal` to the package's own (the package only
 * aborts a stream after its headers arrived, and not at all for `list()`), so aborting closes this
 * request's socket and no other's; it records error headers and checks every stream line.
 */
export function createOllamaClient(connection: OllamaConnection, signal: AbortSignal, exchange: OllamaExchange): Ollama {
  const fetchForRequest: typeof fetch = async (input, init) => {
    const response = await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
    const { status, statusText, headers } = response;
    if (!response.ok) {
      exchange.errorHeaders = headers;
      if (headers.get('content-type')?.includes('application/json')) return response;
      // The package reads a non-JSON error body itself, but logs to stdout while doing it.
      const text = (await response.text()).trim().slice(0, 500);
      return Response.json({ error: text || `${status} ${statusText}` }, { status, statusText });
    }
    if (!response.body) return response;
    return new Response(response.body.pipeThrough(checkedLines(exchange)), { status, statusText, headers });
  };
  return new Ollama({ host: connection.host, headers: connection.headers, fetch: fetchForRequest });
}

/**
 * Passes complete NDJSON lines through after checking each is JSON, and notes an `{error}` line.
 * The package's parser logs and skips a malformed line, which would drop part of an answer
 * unnoticed; here it fails the stream instead.
 */
function checkedLines(exchange: OllamaExchange): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = '';
  const pass = (line: string, controller: TransformStreamDefaultController<Uint8Array>) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new OllamaMalformedLineError(`malformed JSON line in the stream: ${line.slice(0, 120)}`);
    }
    const error = ollamaErrorSchema.safeParse(value);
    if (error.success) exchange.streamError = error.data.error;
    controller.enqueue(encoder.encode(`${line}\n`));
  };
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) pass(line, controller);
    },
    flush(controller) {
      buffer += decoder.decode();
      pass(buffer, controller);
    },
  });
}
