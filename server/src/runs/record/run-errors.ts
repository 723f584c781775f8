import type { RunError, RunStatus } from '@threadline/shared';
import { ProviderError } from '../../providers/types.js';

/**
 * Why a run was stopped from outside its model stream. `park`: the server stops while the run waits
 * for approvals; it is left `waiting` in the store for the next start. `fenced`: this instance lost
 * its lease on the run (cut off from the cluster, or the run was taken over): it stops writing it.
 */
export type StopReason = { kind: 'cancel'; reason: string } | { kind: 'shutdown' } | { kind: 'timeout' } | { kind: 'park' } | { kind: 'fenced' } | { kind: 'quota'; message: string };

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

/** The run's end status after a throw: a stop from outside wins over what the model threw. */
export function classifyEnd(stop: StopReason | undefined, caught: unknown, maxRunMs: number): { status: RunStatus; error: RunError | null } {
  switch (stop?.kind) {
    case 'park':
      return { status: 'waiting', error: null };
    case 'cancel':
      return { status: 'cancelled', error: null };
    case 'shutdown':
    case 'fenced':
      return { status: 'interrupted', error: interruptedError };
    case 'quota':
      return { status: 'failed', error: { code: 'quota_exceeded', message: stop.message, retryable: false } };
    case 'timeout':
      return { status: 'failed', error: { code: 'timeout', message: `the run exceeded its maximum duration of ${maxRunMs} ms`, retryable: false } };
    default:
      return { status: 'failed', error: toRunError(caught) };
  }
}
