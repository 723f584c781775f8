import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { RunErrorCode } from '@threadline/shared';
import { ProviderError } from '../types.js';
import { openAIErrorObjectSchema, type OpenAIErrorObject } from './openai-api.js';
import { MalformedToolCallError } from './assemble-openai-tool-calls.js';
import { MissingDoneError } from './require-done-marker.js';
import { parseRetryAfter } from '../retry-after.js';
import { redact } from '../../url-credentials.js';

/** Who failed, for the message, and what must never appear in it. */
export interface OpenAIErrorContext {
  /** `openai/<model>`, or `openai` for the model list. */
  label: string;
  /** The API key and the base URL's credentials, wherever a server echoes them. */
  secrets: readonly string[];
}

/**
 * Anything the `openai` SDK (or the stream under it) threw → ProviderError. The caller rethrows an
 * abort of its own signal before calling this. Errors that are not the provider's (bugs) pass
 * through unchanged, to surface as `internal`.
 */
export function mapOpenAIError(error: unknown, context: OpenAIErrorContext): unknown {
  const fail = (code: RunErrorCode, retryable: boolean, message: string, extra: { statusCode?: number; retryAfterMs?: number } = {}) =>
    new ProviderError({ code, retryable, message: redact(`${context.label}: ${message}`, context.secrets), cause: error, ...extra });

  if (error instanceof ProviderError) return error;
  if (error instanceof APIConnectionTimeoutError) return fail('timeout', true, 'the request timed out');
  if (error instanceof APIConnectionError) {
    return fail('provider_unavailable', true, `cannot reach the server (${causeText(error)})`);
  }
  if (error instanceof APIError) {
    const body = openAIErrorObjectSchema.safeParse(error.error);
    const details = body.success ? body.data : {};
    // An in-stream `{error}` frame has no HTTP status; vLLM puts one in `code`.
    const status = error.status ?? (typeof details.code === 'number' ? details.code : undefined);
    if (status === undefined) return mapStreamError(details, error.message, fail);
    const retryAfterMs = error.headers ? parseRetryAfter(error.headers) : undefined;
    const extra = { statusCode: status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    return fail(...classifyStatus(status, details, error.message), error.message, extra);
  }
  if (error instanceof MissingDoneError || error instanceof MalformedToolCallError) return fail('provider_protocol', true, error.message);
  if (error instanceof SyntaxError) return fail('provider_protocol', true, `malformed JSON in the stream (${error.message})`);
  if (isConnectionLoss(error)) return fail('provider_unavailable', true, `connection lost mid-stream (${causeText(error)})`);
  return error;
}

/** Code and retryability of an HTTP error status. */
function classifyStatus(status: number, details: OpenAIErrorObject, message: string): [RunErrorCode, boolean] {
  if (status === 401 || status === 403) return ['provider_auth', false];
  // "You exceeded your current quota": a 429 that waiting does not fix.
  if (status === 429) return ['rate_limited', details.code !== 'insufficient_quota' && details.type !== 'insufficient_quota'];
  if (status === 408) return ['timeout', true];
  if (status === 409 || status >= 500) return ['provider_unavailable', true];
  if (isContextLength(details, message)) return ['context_length', false];
  return ['invalid_request', false];
}

/** An in-stream `{error}` frame, classified by its type or code. */
function mapStreamError(details: OpenAIErrorObject, message: string, fail: (code: RunErrorCode, retryable: boolean, message: string) => ProviderError) {
  const kind = `${details.type ?? ''} ${details.code ?? ''}`;
  if (isContextLength(details, message)) return fail('context_length', false, message);
  if (/rate_limit/.test(kind)) return fail('rate_limited', true, message);
  if (/invalid_request|invalid_api_key|BadRequest/i.test(kind)) return fail('invalid_request', false, message);
  return fail('provider_unavailable', true, message);
}

/** OpenAI's `context_length_exceeded`, llama.cpp's `exceed_context_size_error`, or vLLM's wording. */
function isContextLength(details: OpenAIErrorObject, message: string): boolean {
  if (details.code === 'context_length_exceeded' || details.type === 'exceed_context_size_error') return true;
  return /maximum context length|context length exceeded|exceeds? the (available )?context (size|window)/i.test(message);
}

/** undici's "terminated" (socket closed mid-body) and errors carrying a socket error code. */
function isConnectionLoss(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return error.message === 'terminated' || (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_\w+)$/.test(code));
}

function causeText(error: Error): string {
  const cause = error.cause as { message?: string; code?: string } | undefined;
  return [error.message, cause?.code, cause?.message].filter(Boolean).join(': ');
}
