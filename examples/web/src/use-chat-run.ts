import { skipToken, useMutation, useQueryClient } from '@tanstack/react-query';
import type { StreamEvent } from '@threadline/client';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useEffect, useState } from 'react';
import { applyEvent, failView, hasEnded, startView, type RunView } from './run-view';
import { loadPendingRun, savePendingRun } from './storage';
import { useTRPC } from './trpc';

/** The answer being streamed (at most one per tab) and what can be done with it. */
export interface ChatRun {
  view: RunView | null;
  /** Sends a message to a session and streams the answer. */
  send(sessionId: string, content: string): void;
  /**
   * Follows a run that another tab or device started in a session, from its first event. Does
   * nothing while the page follows a run that has not ended, or when `runId` is the run it followed last.
   */
  join(sessionId: string, runId: string): void;
  /** Cancels the streaming answer on the server (`runs.cancel`); the stream then ends with `run-cancel`. */
  stop(): void;
  stopping: boolean;
}

/** A requestId: a UUID where the page is a secure context, else random hex of the same strength. */
function newRequestId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Streams answers with `chat.stream`. The pending run (requestId, session, message) is kept in
 * sessionStorage until the run ends, so after a reload the page subscribes again with the same
 * requestId: the server re-attaches to the same run and replays its events from the first one,
 * and the view rebuilds the answer from them and follows the rest live. A joined run (started
 * elsewhere) is followed the same way with `runs.events`; it is not kept, since opening its
 * session finds it again.
 */
export function useChatRun(): ChatRun {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [view, setView] = useState<RunView | null>(() => {
    const pending = loadPendingRun();
    return pending ? startView(pending) : null;
  });

  const streaming = view !== null && !hasEnded(view);
  const follow = {
    onData: ({ id, data }: { id: string; data: StreamEvent }) => setView((current) => current && applyEvent(current, Number(id), data)),
    onError: (error: { message: string }) => setView((current) => current && failView(current, error.message)),
  };
  useSubscription(
    trpc.chat.stream.subscriptionOptions(
      streaming && view.requestId !== null ? { sessionId: view.sessionId, content: view.content, requestId: view.requestId } : skipToken,
      follow,
    ),
  );
  useSubscription(trpc.runs.events.subscriptionOptions(streaming && view.requestId === null ? { runId: view.runId } : skipToken, follow));

  // The run's id, once known, goes with the pending run: the stop button works right after a reload.
  const runId = view?.runId ?? null;
  useEffect(() => {
    if (view && view.requestId !== null && runId && !hasEnded(view)) {
      savePendingRun({ requestId: view.requestId, sessionId: view.sessionId, content: view.content, runId });
    }
    // Only when the id arrives: the rest of the view changes with every delta.
  }, [runId]);

  // Once the run has ended: forget it, reload the session's history (which now holds the stored
  // answer) and the session list (new activity), then drop the streamed copy.
  const ended = view !== null && hasEnded(view) && !view.settled;
  const requestId = view?.requestId;
  useEffect(() => {
    if (!ended) return;
    savePendingRun(null);
    void Promise.allSettled([
      queryClient.invalidateQueries(trpc.sessions.history.pathFilter()),
      queryClient.invalidateQueries(trpc.sessions.list.pathFilter()),
    ]).then(() =>
      setView((current) => (current && current.requestId === requestId && current.runId === runId ? { ...current, settled: true } : current)),
    );
  }, [ended, requestId, runId, queryClient, trpc]);

  const send = useCallback(
    (sessionId: string, content: string) => {
      const run = { requestId: newRequestId(), sessionId, content, runId: null };
      savePendingRun(run);
      setView(startView(run));
    },
    [],
  );

  const join = useCallback((sessionId: string, runId: string) => {
    setView((current) =>
      current && (!hasEnded(current) || current.runId === runId) ? current : startView({ requestId: null, sessionId, content: null, runId }),
    );
  }, []);

  const cancel = useMutation(trpc.runs.cancel.mutationOptions());
  const stop = useCallback(() => {
    if (runId) cancel.mutate({ runId });
  }, [cancel, runId]);

  return { view, send, join, stop, stopping: cancel.isPending };
}
