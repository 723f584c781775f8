import { initialAnswerState, isAnswerEnded, reduceAnswer, type AnswerState, type AnswerStatus, type StreamEvent } from '@threadline/client';
import type { PendingRun } from './storage';

/** A run another tab or device started, joined by its id: `runs.events` replays it from its first event. */
export interface JoinedRun {
  requestId: null;
  sessionId: string;
  /** Not known here: the session's history holds the user's message. */
  content: null;
  runId: string;
}

/** The run a view follows: one this page sent (followed by its requestId), or one it joined. */
export type FollowedRun = PendingRun | JoinedRun;

/** What the page shows of the answer being streamed: the run it follows and what its events built. */
export type RunView = FollowedRun & {
  /** The last event applied; events at or below it (a replay) are skipped, so nothing shows twice. */
  lastEventId: number;
  /** The answer so far, from @threadline/client's reducer. */
  answer: AnswerState;
  /** Why following the run broke off before its end (the subscription's error). */
  connectionError: string | null;
  /** The end has been handled: the pending run forgotten and the session's history reloaded. */
  settled: boolean;
};

/** The view of a run before its first event. */
export function startView(run: FollowedRun): RunView {
  return { ...run, lastEventId: 0, answer: initialAnswerState, connectionError: null, settled: false };
}

/** Where the answer stands: its status, or `failed` when following it broke off. */
export function phaseOf(view: RunView): AnswerStatus {
  return view.connectionError === null ? view.answer.status : 'failed';
}

/** True once the run has ended one way or another (or following it broke off). */
export function hasEnded(view: RunView): boolean {
  return view.connectionError !== null || isAnswerEnded(view.answer);
}

/** Why it failed or was cancelled, shown under the answer; null otherwise. */
export function noticeOf(view: RunView): string | null {
  const { error, cancelReason } = view.answer;
  if (view.connectionError !== null) return view.connectionError;
  if (error) return `${error.code}: ${error.message}`;
  return cancelReason === null ? null : `Stopped: ${cancelReason}`;
}

/** The view after one more event; a replayed event (id already applied) changes nothing. */
export function applyEvent(view: RunView, id: number, event: StreamEvent): RunView {
  if (id <= view.lastEventId || hasEnded(view)) return view;
  const answer = reduceAnswer(view.answer, event);
  // The run's id, once run-start names it, goes with the followed run (to stop it, to re-attach).
  return { ...view, lastEventId: id, answer, ...(answer.runId ? { runId: answer.runId } : {}) };
}

/** The view after its subscription failed: `failed` with the error, unless the run had ended already. */
export function failView(view: RunView, message: string): RunView {
  return hasEnded(view) ? view : { ...view, connectionError: message };
}
