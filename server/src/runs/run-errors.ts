import type { RunError } from '@threadline/shared';
import { ProviderError } from '../providers/types.js';

/** Any error thrown while a run executes → the RunError clients see. Provider messages pass; others are internal. */
export function toRunError(error: unknown): RunError {
  if (error instanceof ProviderError) {
    return { code: error.code, message: error.message, retryable: error.retryable };
  }
  return { code: 'internal', message: `internal error: ${(error as Error)?.message ?? String(error)}`, retryable: false };
}

/** The error stored on runs that a shutdown or crash stopped. */
export const interruptedError: RunError = {
  code: 'interrupted',
  message: 'the server stopped while this run was active',
  retryable: true,
};
