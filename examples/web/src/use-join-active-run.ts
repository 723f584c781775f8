import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { hasEnded } from './run-view';
import { useTRPC } from './trpc';
import type { ChatRun } from './use-chat-run';

/**
 * Joins the run going on in an opened session that another tab or device started (streaming,
 * queued, or waiting for approval): while the page follows no run, the session's newest active run
 * (`runs.list`) is followed from its first event, like one the page sent. Looked up when the
 * session opens, when the page's own run ends, and when the tab regains focus.
 */
export function useJoinActiveRun(sessionId: string, run: ChatRun): void {
  const trpc = useTRPC();
  const idle = run.view === null || hasEnded(run.view);
  const active = useQuery(
    trpc.runs.list.queryOptions(
      { sessionId, status: ['queued', 'running', 'waiting'], limit: 1 },
      // Never from the cache: a run found a while ago may have ended since.
      { enabled: idle, staleTime: 0, gcTime: 0 },
    ),
  );
  const foundId = active.data?.items[0]?.id;
  const { join } = run;
  useEffect(() => {
    if (idle && foundId) join(sessionId, foundId);
  }, [idle, foundId, sessionId, join]);
}
