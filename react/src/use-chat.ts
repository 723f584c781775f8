import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AnswerStatus, Message, StreamEvent } from '@threadline/client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { applyEvent, chatRuns, failRun, shownBranch, type BranchFrom, type ChatRun, hasEnded, joinedRun, loadPendingSends, newRequestId, pendingSends, savePendingSends, sentRun, statusOf, type FollowedRun } from './chat-runs.js';
import { useThreadlineClient, useTRPC } from './context.js';
import { useHistory } from './use-history.js';

/** Options of useChat. */
export interface UseChatOptions {
  /** The session to talk in. */
  sessionId: string;
  /**
   * Where sends whose run has not ended are kept, so that after a reload the hook re-attaches to
   * them with the same requestId (default: sessionStorage, this tab only; null: nowhere, and runs
   * are found again through `runs.list` once they have started).
   */
  storage?: Storage | null;
  /** Follow the session's runs started elsewhere (another tab, device or program): default true. */
  joinActiveRuns?: boolean;
}

/** Options of one send. */
export interface SendOptions {
  /** Makes the send idempotent: a send with a requestId already used is not sent again. Generated when absent. */
  requestId?: string;
  /** Another agent or model for this message. */
  agent?: string;
  model?: string;
}

/** Where the conversation stands: `idle` when no run of the session is followed, else the oldest unended run's status. */
export type ChatStatus = 'idle' | Exclude<AnswerStatus, 'completed' | 'cancelled' | 'failed' | 'interrupted'>;

/** What useChat returns. `send`, `edit`, `regenerate`, `switchBranch`, `stop`, `approve` and `deny` keep their identity across renders. */
export interface UseChatResult {
  /**
   * The session's stored messages, oldest first: the branch shown. While an edit or a regenerate
   * has not ended, the message it makes a new version of and those after it are left out (the
   * new version streams in `runs`).
   */
  messages: Message[];
  /** The runs to show after `messages`, oldest first: each until the history holds its stored answer. */
  runs: ChatRun[];
  /** The newest of `runs` (the answer streaming now, in most pages); null when none. */
  answer: ChatRun | null;
  status: ChatStatus;
  /** The history is loading for the first time. */
  isLoading: boolean;
  /** The last thing that went wrong talking to the server: loading the history, starting or following a run, stop, approve, deny or switchBranch. */
  error: Error | null;
  /**
   * Sends a message and streams the answer; returns its requestId. While a run of the session is
   * active, the server applies the session's busy policy (queue it, refuse it, or interrupt).
   * A second identical message while the first has not started yet is taken for a double click
   * and dropped (its requestId is returned).
   */
  send(content: string, options?: SendOptions): string;
  /**
   * Edits a user message (`messages.edit`): a new version of it, answered on a new branch, the old
   * one kept. Its run is followed like a sent message's (in `runs`, with `status` and `stop`);
   * returns its requestId. A second identical edit before the first has started is dropped.
   */
  edit(messageId: string, content: string, options?: SendOptions): string;
  /** Answers a question again (`messages.regenerate` of its answer): a new version of the answer, followed like `edit`'s; returns its requestId. */
  regenerate(messageId: string, options?: SendOptions): string;
  /** Shows another version's branch (`sessions.switchBranch`, with a message's `previousSiblingId` or `nextSiblingId`), then fetches the history again. */
  switchBranch(messageId: string): Promise<boolean>;
  /** Cancels a run (by runId or requestId), or every unended run of the session when none is named. */
  stop(target?: string): void;
  isStopping: boolean;
  /** Lets a waiting run's tool calls run (all pending ones, or `callIds`; `always`: for the rest of the session). */
  approve(runId: string, options?: { callIds?: string[]; always?: boolean }): Promise<boolean>;
  /** Refuses a waiting run's tool calls; the model sees `reason`. */
  deny(runId: string, options?: { callIds?: string[]; reason?: string }): Promise<boolean>;
}

export type { ChatRun };

const defaultStorage = (): Storage | null => (typeof sessionStorage === 'undefined' ? null : sessionStorage);
type Unsubscribable = { unsubscribe(): void };

/**
 * A session's conversation: its stored history (the branch shown), the runs streaming in it, and
 * send, edit, regenerate, switchBranch, stop, approve and deny. On mount it re-attaches to the session's runs: those sent from this tab (kept in
 * `storage` by requestId, so `chat.stream` replays them from their first event and never starts
 * them twice) and those started elsewhere (`runs.list`, then `runs.events`). When a run ends the
 * history and the session list are fetched again and the stored answer takes the streamed one's place.
 */
export function useChat(options: UseChatOptions): UseChatResult {
  const { sessionId, joinActiveRuns = true } = options;
  const storage = options.storage === undefined ? defaultStorage() : options.storage;
  const trpc = useTRPC();
  const client = useThreadlineClient();
  const queryClient = useQueryClient();
  const history = useHistory(sessionId);

  // The runs followed, with the session they belong to: another session starts from its own.
  const [state, setState] = useState(() => ({ sessionId, runs: loadPendingSends(storage, sessionId).map(sentRun) }));
  if (state.sessionId !== sessionId) setState({ sessionId, runs: loadPendingSends(storage, sessionId).map(sentRun) });
  const runs = state.sessionId === sessionId ? state.runs : [];
  const latest = useRef(runs);
  latest.current = runs;
  const update = useCallback((change: (runs: FollowedRun[]) => FollowedRun[]) => {
    setState((current) => (current.sessionId === sessionId ? { sessionId, runs: change(current.runs) } : current));
  }, [sessionId]);
  const updateRun = useCallback(
    (key: string, change: (run: FollowedRun) => FollowedRun) => update((current) => current.map((run) => (run.key === key ? change(run) : run))),
    [update],
  );

  // An edit or a regenerate is started once by its procedure (its requestId makes a second call,
  // after a reload, answer the same run), then followed by its id like a run started elsewhere.
  const started = useRef(new Set<string>());
  const startBranch = (run: FollowedRun) => {
    if (started.current.has(run.key) || !run.branch || run.requestId === null) return;
    started.current.add(run.key);
    const { kind, messageId } = run.branch;
    const choice = { requestId: run.requestId, ...(run.agent ? { agent: run.agent } : {}), ...(run.model ? { model: run.model } : {}) };
    const starting =
      kind === 'edit' ? client.messages.edit.mutate({ messageId, content: run.content ?? '', ...choice }) : client.messages.regenerate.mutate({ messageId, ...choice });
    starting.then(
      ({ runId }) => updateRun(run.key, (current) => (current.runId ? current : { ...current, runId })),
      (error: Error) => updateRun(run.key, (current) => failRun(current, error)),
    );
  };

  // One subscription per unended run, opened once (StrictMode's second mount opens them again after
  // the first cleanup; the same requestId re-attaches to the same run, and replayed events are skipped).
  const subscriptions = useRef(new Map<string, Unsubscribable>());
  useEffect(() => {
    const open = new Map(runs.filter((run) => !hasEnded(run)).map((run) => [run.key, run]));
    for (const [key, subscription] of subscriptions.current) {
      if (open.has(key)) continue;
      subscription.unsubscribe();
      subscriptions.current.delete(key);
    }
    for (const [key, run] of open) {
      if (subscriptions.current.has(key)) continue;
      if (run.branch && run.runId === null) {
        startBranch(run);
        continue;
      }
      const handlers = {
        onData: ({ id, data }: { id: string; data: StreamEvent }) => updateRun(key, (current) => applyEvent(current, Number(id), data)),
        onError: (error: Error) => updateRun(key, (current) => failRun(current, error)),
      };
      const after = run.lastEventId > 0 ? { lastEventId: String(run.lastEventId) } : {};
      const { agent, model } = run;
      const subscription =
        run.requestId !== null && run.content !== null && !run.branch
          ? client.chat.stream.subscribe({ sessionId, content: run.content, requestId: run.requestId, ...(agent ? { agent } : {}), ...(model ? { model } : {}), ...after }, handlers)
          : client.runs.events.subscribe({ runId: run.runId!, ...after }, handlers);
      subscriptions.current.set(key, subscription);
    }
  });
  useEffect(() => {
    const open = subscriptions.current;
    return () => {
      for (const subscription of open.values()) subscription.unsubscribe();
      open.clear();
    };
  }, []);

  // Unended sends are kept (with their run's id once known) for a reload to re-attach to.
  const saved = useRef<string | null>(null);
  const pending = JSON.stringify(pendingSends(runs));
  useEffect(() => {
    if (saved.current !== pending) saved.current = savePendingSends(storage, sessionId, JSON.parse(pending));
  }, [pending, storage, sessionId]);

  // An ended run: fetch the history (which holds its stored answer now), the session list (new
  // activity, a title) and the session's active runs again, then mark it settled.
  const finished = useRef(new Set<string>());
  const ended = runs.filter((run) => hasEnded(run) && !run.settled).map((run) => run.key).join(' ');
  useEffect(() => {
    for (const key of ended.split(' ').filter(Boolean)) {
      if (finished.current.has(key)) continue;
      finished.current.add(key);
      const runId = latest.current.find((run) => run.key === key)?.runId;
      if (runId) finished.current.add(`run:${runId}`);
      void Promise.allSettled([
        queryClient.invalidateQueries(trpc.sessions.history.queryFilter({ sessionId })),
        queryClient.invalidateQueries(trpc.sessions.list.pathFilter()),
        queryClient.invalidateQueries(trpc.runs.list.pathFilter()),
      ]).then(() => updateRun(key, (run) => ({ ...run, settled: true })));
    }
  }, [ended, queryClient, trpc, sessionId, updateRun]);

  // Runs started elsewhere: followed from their first event, unless this hook follows them already.
  // While a send here has no run id yet its run may be among them, so joining waits for it.
  const unnamed = runs.some((run) => run.runId === null && !hasEnded(run));
  const active = useQuery(
    trpc.runs.list.queryOptions(
      { sessionId, status: ['queued', 'running', 'waiting'], limit: 20 },
      // Never from the cache: a run found a while ago may have ended since.
      { enabled: joinActiveRuns, staleTime: 0, gcTime: 0 },
    ),
  );
  useEffect(() => {
    const found = active.data?.items.map((run) => run.id).reverse() ?? [];
    if (unnamed || found.length === 0) return;
    update((current) => {
      const known = new Set(current.map((run) => run.runId));
      const fresh = found.filter((runId) => !known.has(runId) && !finished.current.has(`run:${runId}`));
      return fresh.length === 0 ? current : [...current, ...fresh.map((runId) => joinedRun(sessionId, runId))];
    });
  }, [active.data, unnamed, sessionId, update]);

  // A send, an edit or a regenerate: followed from the next render on, unless it is a twin of one
  // not started yet (a double click) or its requestId is followed already.
  const begin = useCallback(
    (content: string, sendOptions: SendOptions, branch?: BranchFrom) => {
      const { agent, model } = sendOptions;
      const requestId = sendOptions.requestId ?? newRequestId();
      const sameTarget = (run: FollowedRun) => run.branch?.kind === branch?.kind && run.branch?.messageId === branch?.messageId;
      const shownContent = branch?.kind === 'regenerate' ? null : content;
      const twin = latest.current.find(
        (run) => run.requestId === requestId || (sameTarget(run) && run.content === shownContent && run.answer.status === 'connecting' && !hasEnded(run)),
      );
      if (twin) return twin.requestId!;
      const run = sentRun({ requestId, sessionId, content, runId: null, ...(agent ? { agent } : {}), ...(model ? { model } : {}), ...(branch ? { branch } : {}) });
      latest.current = [...latest.current, run];
      // Ended runs give way to the new one (their stored messages are in the history).
      update((current) => [...current.filter((other) => !other.settled), run]);
      return requestId;
    },
    [sessionId, update],
  );
  const send = useCallback((content: string, sendOptions: SendOptions = {}) => begin(content, sendOptions), [begin]);
  const edit = useCallback(
    (messageId: string, content: string, sendOptions: SendOptions = {}) => begin(content, sendOptions, { kind: 'edit', messageId }),
    [begin],
  );
  const regenerate = useCallback((messageId: string, sendOptions: SendOptions = {}) => begin('', sendOptions, { kind: 'regenerate', messageId }), [begin]);
  const switching = useMutation(
    trpc.sessions.switchBranch.mutationOptions({
      // Resolves once the branch switched to is loaded.
      onSuccess: () => queryClient.invalidateQueries(trpc.sessions.history.queryFilter({ sessionId })),
    }),
  );
  const { mutateAsync: switchTo } = switching;
  const switchBranch = useCallback((messageId: string) => switchTo({ sessionId, messageId }).then(() => true, () => false), [switchTo, sessionId]);

  const cancel = useMutation(trpc.runs.cancel.mutationOptions());
  const { mutate: cancelRun } = cancel;
  const stop = useCallback(
    (target?: string) => {
      for (const run of latest.current) {
        if (hasEnded(run) || (target !== undefined && target !== run.runId && target !== run.requestId)) continue;
        cancelRun(run.runId ? { runId: run.runId } : { requestId: run.requestId! });
      }
    },
    [cancelRun],
  );
  const approval = useMutation(
    trpc.runs.approve.mutationOptions({
      // The session now allows the tool: its allowedTools changed.
      onSuccess: (_output, input) => (input.always ? queryClient.invalidateQueries(trpc.sessions.get.queryFilter({ sessionId })) : undefined),
    }),
  );
  const denial = useMutation(trpc.runs.deny.mutationOptions());
  const { mutateAsync: approveRun } = approval;
  const { mutateAsync: denyRun } = denial;
  const approve = useCallback(
    (runId: string, { callIds, always }: { callIds?: string[]; always?: boolean } = {}) =>
      approveRun({ runId, ...(callIds ? { callIds } : {}), ...(always ? { always } : {}) }).then(() => true, () => false),
    [approveRun],
  );
  const deny = useCallback(
    (runId: string, { callIds, reason }: { callIds?: string[]; reason?: string } = {}) =>
      denyRun({ runId, ...(callIds ? { callIds } : {}), ...(reason ? { reason } : {}) }).then(() => true, () => false),
    [denyRun],
  );

  const messages = shownBranch(history.data ?? [], runs);
  const shown = chatRuns(runs, history.data ?? []);
  const open = runs.find((run) => !hasEnded(run));
  const brokenOff = [...runs].reverse().find((run) => run.connectionError)?.connectionError ?? null;
  const mutationError = [cancel, approval, denial, switching].filter((mutation) => mutation.error).sort((a, b) => a.submittedAt - b.submittedAt).at(-1)?.error;
  return {
    messages,
    runs: shown,
    answer: shown.at(-1) ?? null,
    status: open ? (statusOf(open) as ChatStatus) : 'idle',
    isLoading: history.isPending,
    error: (history.error as Error | null) ?? (mutationError as Error | undefined) ?? brokenOff,
    send,
    edit,
    regenerate,
    switchBranch,
    stop,
    isStopping: cancel.isPending,
    approve,
    deny,
  };
}
