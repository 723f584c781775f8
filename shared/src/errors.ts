import { z } from 'zod';

/**
 * Why a run failed, as carried by `run-error` and stored on the run. Providers' errors are mapped to
 * these in one place on the server; docs/API.md says what each means.
 */
export const RunErrorCode = z.enum([
  /** The provider rejected the API key. Not retryable. */
  'provider_auth',
  /** The provider said 429 and retries ran out. */
  'rate_limited',
  /** The provider answered 5xx / overloaded, or could not be reached. */
  'provider_unavailable',
  /** The provider's stream broke its own protocol (bad JSON, no terminal marker). */
  'provider_protocol',
  /** No bytes within the idle timeout, or the run outlived its maximum duration. */
  'timeout',
  /** The conversation does not fit the model's context window. */
  'context_length',
  /** The provider refused the request as invalid (unknown model, bad parameters). */
  'invalid_request',
  /** The server stopped (crash or shutdown) while the run was active. */
  'interrupted',
  /** A bug on our side; the message says what happened. */
  'internal',
  /** The user's token or cost budget (per day or month) is spent: refused before the run, or stopped where it ran out. */
  'quota_exceeded',
]);
export type RunErrorCode = z.infer<typeof RunErrorCode>;

/** An error as stored on a run and streamed in `run-error`. */
export const RunError = z.object({
  code: RunErrorCode,
  message: z.string(),
  /** True when the same request may succeed if sent again later. */
  retryable: z.boolean(),
});
export type RunError = z.infer<typeof RunError>;

/**
 * The `data` of every tRPC error this server sends (see the server's errorFormatter).
 * `issues` is set for BAD_REQUEST caused by input validation: Zod's issues, path and message each;
 * `retryAfterMs` for TOO_MANY_REQUESTS.
 */
export interface ThreadlineErrorData {
  code: string;
  httpStatus: number;
  path?: string;
  issues?: { path: (string | number)[]; message: string; code: string }[];
  /** With TOO_MANY_REQUESTS: when the same request may succeed, ms from now (also `Retry-After` on plain HTTP). */
  retryAfterMs?: number;
}
