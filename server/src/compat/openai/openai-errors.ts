import type { ServerResponse } from 'node:http';
import type { RunError, RunErrorCode } from '@threadline/shared';
import { type HttpError, sendJson } from '../http-io.js';
import type { OpenAIErrorBody } from './openai-api.js';

/** OpenAI's `type` and `code` for a status, as its API sends them. */
function typeAndCode(error: HttpError): { type: string; code: string | null } {
  switch (error.status) {
    case 400:
    case 413:
      return { type: 'invalid_request_error', code: null };
    case 401:
      return { type: 'invalid_request_error', code: 'invalid_api_key' };
    case 404:
      return { type: 'invalid_request_error', code: error.param === 'model' ? 'model_not_found' : 'not_found' };
    case 409:
      return { type: 'invalid_request_error', code: 'conflict' };
    case 429:
      return { type: 'rate_limit_error', code: 'rate_limit_exceeded' };
    case 503:
      return { type: 'server_error', code: 'service_unavailable' };
    default:
      return { type: 'server_error', code: null };
  }
}

/** An error before the answer started, in OpenAI's shape and status (with `Retry-After` on 429). */
export function sendOpenAIError(response: ServerResponse, error: HttpError): void {
  const body: OpenAIErrorBody = { error: { message: error.message, ...typeAndCode(error), param: error.param ?? null } };
  sendJson(response, error.status, body, error.status === 429 ? (error.retryAfterMs ?? 1_000) : undefined);
}

/** The HTTP status a failed run answers a non-streaming request with. */
export function statusOfRunError(code: RunErrorCode): number {
  switch (code) {
    case 'rate_limited':
    case 'quota_exceeded':
      return 429;
    case 'context_length':
    case 'invalid_request':
      return 400;
    case 'timeout':
      return 504;
    case 'interrupted':
      return 503;
    case 'provider_auth':
    case 'provider_unavailable':
    case 'provider_protocol':
      return 502;
    case 'internal':
      return 500;
    default:
      code satisfies never;
      return 500;
  }
}

/** A failed run's error in OpenAI's shape (the run error's code kept as `code`). */
export function runErrorBody(error: RunError): OpenAIErrorBody {
  // A spent budget reads as OpenAI's own: 429, type and code `insufficient_quota`.
  if (error.code === 'quota_exceeded') return { error: { message: error.message, type: 'insufficient_quota', param: null, code: 'insufficient_quota' } };
  const type = error.code === 'rate_limited' ? 'rate_limit_error' : error.code === 'context_length' || error.code === 'invalid_request' ? 'invalid_request_error' : 'server_error';
  return { error: { message: error.message, type, param: null, code: error.code === 'context_length' ? 'context_length_exceeded' : error.code } };
}
