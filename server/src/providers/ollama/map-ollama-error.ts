import { ProviderError } from '../types.js';
import { OllamaMalformedLineError, type OllamaExchange } from './ollama-client.js';
import { parseRetryAfter } from '../retry-after.js';
import { redact } from '../../url-credentials.js';

/** What the mapping needs to know besides the error. */
export interface OllamaErrorContext {
  /** `ollama/<model>` or `ollama`, the start of every message. */
  label: string;
  exchange: OllamaExchange;
  /** Never shown, whatever the server echoed. */
  secrets: string[];
}

const CONTEXT_TOO_LONG = /context (length|window|size)|too long|exceeds? (the )?(maximum )?context|too many tokens/i;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Anything the `ollama` package (or the fetch under it) threw → ProviderError. The package throws
 * `ResponseError {error, status_code}` for HTTP errors (the class is not exported: recognised by
 * name), a plain `Error(message)` for an `{"error"}` line and for a stream without `done: true`,
 * and fetch's `TypeError` for network failures. Anything unrecognised is returned as it is.
 */
export function mapOllamaError(error: unknown, context: OllamaErrorContext): unknown {
  if (error instanceof ProviderError || !(error instanceof Error)) return error;
  const fail = (code: ProviderError['code'], detail: string, retryable: boolean, extra: { statusCode?: number; retryAfterMs?: number } = {}) =>
    new ProviderError({ code, message: redact(`${context.label}: ${detail}`, context.secrets), retryable, cause: error, ...extra });

  if (isResponseError(error)) return fromStatus(error.status_code, error.error, context, fail);
  if (error instanceof OllamaMalformedLineError) return fail('provider_protocol', error.message, true);
  if (context.exchange.streamError !== undefined && error.message === context.exchange.streamError) {
    const tooLong = CONTEXT_TOO_LONG.test(error.message);
    return fail(tooLong ? 'context_length' : 'provider_unavailable', `error in the stream: ${error.message}`, !tooLong);
  }
  if (error.message.startsWith('Did not receive done')) {
    return fail('provider_protocol', 'the stream ended without its final `done: true` line', true);
  }
  if (error.message === 'Missing body') return fail('provider_protocol', 'the response had no body', true);
  if (isNetworkError(error)) {
    return fail('provider_unavailable', `cannot reach Ollama (${networkDetail(error)})`, true);
  }
  return error;
}

type Fail = (code: ProviderError['code'], detail: string, retryable: boolean, extra?: { statusCode?: number; retryAfterMs?: number }) => ProviderError;

function fromStatus(statusCode: number, message: string, context: OllamaErrorContext, fail: Fail): ProviderError {
  const detail = `${statusCode} ${message}`;
  const retryAfterMs = context.exchange.errorHeaders ? parseRetryAfter(context.exchange.errorHeaders) : undefined;
  const extra = { statusCode, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (statusCode === 401 || statusCode === 403) return fail('provider_auth', detail, false, { statusCode });
  if (statusCode === 429) return fail('rate_limited', detail, true, extra);
  if (statusCode === 408) return fail('timeout', detail, true, extra);
  if (statusCode >= 500) return fail('provider_unavailable', detail, true, extra);
  if (CONTEXT_TOO_LONG.test(message)) return fail('context_length', detail, false, { statusCode });
  return fail('invalid_request', detail, false, { statusCode });
}

function isResponseError(error: Error): error is Error & { error: string; status_code: number } {
  return error.name === 'ResponseError' && typeof (error as { status_code?: unknown }).status_code === 'number';
}

/** fetch's `TypeError: fetch failed` (cause ECONNREFUSED...) or `terminated` (the socket closed mid-body). */
function isNetworkError(error: Error): boolean {
  if (error.name === 'TypeError' && (error.message === 'fetch failed' || error.message === 'terminated')) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

function networkDetail(error: Error): string {
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (error.message === 'terminated') return 'the connection closed mid-stream';
  if (typeof cause?.code === 'string') return cause.code;
  return typeof cause?.message === 'string' ? cause.message : error.message;
}
