import { AnthropicError, APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import type { RunErrorCode } from '@threadline/shared';
import { ProviderError } from '../types.js';
import { parseRetryAfter } from '../retry-after.js';
import { redact } from '../../url-credentials.js';

/** Where the error happened and what must never appear in its message. */
export interface AnthropicErrorContext {
  /** Prefix of the message: the model id, or `anthropic` for listing models. */
  label: string;
  /** The API key and the base URL's credentials, wherever a server echoes them. */
  secrets: readonly string[];
}

/**
 * Anything the SDK throws (HTTP errors, the stream's `error` event, connection failures, bad JSON in
 * a frame) → a ProviderError with Threadline's code. The provider's own message is kept; the API
 * key and the base URL's credentials are cut out of it in case a server echoes them.
 */
export function mapAnthropicError(error: unknown, context: AnthropicErrorContext): ProviderError {
  if (error instanceof ProviderError) return error;
  const make = (code: RunErrorCode, retryable: boolean, detail: string, extra: { statusCode?: number; retryAfterMs?: number } = {}) =>
    new ProviderError({ code, retryable, message: redact(`${context.label}: ${detail}`, context.secrets), cause: error, ...extra });

  if (error instanceof APIConnectionTimeoutError) return make('timeout', true, 'request timed out');
  if (error instanceof APIConnectionError) return make('provider_unavailable', true, `connection failed: ${describeCause(error)}`);
  if (error instanceof APIError) {
    const { code, retryable } = classify(error);
    const detail = error.apiMessage ? [error.status, error.type && `${error.type}:`, error.apiMessage].filter(Boolean).join(' ') : error.message;
    return make(code, retryable, detail, {
      ...(error.status !== undefined ? { statusCode: error.status } : {}),
      ...retryAfterOf(error.headers),
    });
  }
  if (error instanceof SyntaxError) return make('provider_protocol', true, `malformed JSON in the stream: ${error.message}`);
  if (error instanceof AnthropicError) return make('provider_protocol', true, error.message);
  return make('provider_unavailable', true, `connection lost: ${describeCause(error)}`);
}

function classify(error: APIError): { code: RunErrorCode; retryable: boolean } {
  const message = error.apiMessage ?? '';
  if (/prompt is too long|exceed context limit/i.test(message) || error.errorCode === 'prompt_too_long') return { code: 'context_length', retryable: false };
  switch (error.type) {
    case 'authentication_error':
    case 'permission_error':
      return { code: 'provider_auth', retryable: false };
    case 'rate_limit_error':
      return { code: 'rate_limited', retryable: true };
    case 'overloaded_error':
    case 'api_error':
      return { code: 'provider_unavailable', retryable: true };
    case 'timeout_error':
      return { code: 'timeout', retryable: true };
  }
  const status = error.status;
  if (status === 401 || status === 403) return { code: 'provider_auth', retryable: false };
  if (status === 429) return { code: 'rate_limited', retryable: true };
  if (status === 408) return { code: 'timeout', retryable: true };
  if (status !== undefined && status >= 500) return { code: 'provider_unavailable', retryable: true };
  if (status !== undefined || error.type === 'invalid_request_error' || error.type === 'not_found_error') {
    return { code: 'invalid_request', retryable: false };
  }
  // An in-stream `error` event of a type we do not know: the answer broke off on their side.
  return { code: 'provider_unavailable', retryable: true };
}

function describeCause(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error && parts.length < 4; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${current.message} (${code})` : current.message);
  }
  return parts.join(': ') || String(error);
}

/** The provider's retry-after, as the error's extra field when it sent one. */
function retryAfterOf(headers: Headers | undefined): { retryAfterMs?: number } {
  const retryAfterMs = parseRetryAfter(headers);
  return retryAfterMs === undefined ? {} : { retryAfterMs };
}
