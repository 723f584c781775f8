import { initialAnswerState, isAnswerEnded, reduceAnswer, type AnswerState, type AnswerStatus, type Message, type StreamEvent } from '@threadline/client';

/** What an edit or a regenerate branches from: the message it makes a new version of. */
export interface BranchFrom {
  /** `edit`: a new version of a user message (`messages.edit`); `regenerate`: of an answer (`messages.regenerate`). */
  kind: 'edit' | 'regenerate';
  messageId: string;
}

/** A message sent from this page whose run has not ended: what re-attaches to it after a reload. */
export interface PendingSend {
  /** Makes chat.stream (and messages.edit / regenerate) idempotent: sending again with it re-attaches to the same run. */
  requestId: string;
  sessionId: string;
  /** The user's message (chat.stream's input needs it again on re-attach); an edit's new text; empty for a regenerate. */
  content: string;
  /** Known once the run has started. */
  runId: string | null;
  agent?: string;
  model?: string;
  /** Set for an edit or a regenerate: started with that procedure, then followed with `runs.events`. */
  branch?: BranchFrom;
}

/**
 * A run useChat follows: one sent here (followed by its requestId with `chat.stream`), or one
 * another tab, device or program started (joined by its id with `runs.events`).
 */
export interface FollowedRun {
  /** Unique among the runs followed: the requestId of a send, else `run:<runId>`. */
  key: string;
  /** Null for a joined run. */
  requestId: string | null;
  sessionId: string;
  /** The user's message; null for a joined run (the session's history holds it). */
  content: string | null;
  /** Null until `run-start` names it (always known for a joined run). */
  runId: string | null;
  agent?: string;
  model?: string;
  /** Set for an edit or a regenerate (its run is started by that procedure, then followed by its id). */
  branch?: BranchFrom;
  /** The last event applied; events at or below it (a replay after a re-attach) are skipped. */
  lastEventId: number;
  /** The answer so far, built by @threadline/client's `reduceAnswer`. */
  answer: AnswerState;
  /** Why following the run broke off before its end (the subscription's error). */
  connectionError: Error | null;
  /** The end has been handled: the history (which now holds the stored answer) was fetched again. */
  settled: boolean;
}

/** A run sent from here, before its first event. */
export function sentRun(send: PendingSend): FollowedRun {
  const content = send.branch?.kind === 'regenerate' ? null : send.content;
  return { ...send, content, key: send.requestId, lastEventId: 0, answer: initialAnswerState, connectionError: null, settled: false };
}

/** A run started elsewhere, joined by its id, before its first (replayed) event. */
export function joinedRun(sessionId: string, runId: string): FollowedRun {
  return { key: `run:${runId}`, requestId: null, sessionId, content: null, runId, lastEventId: 0, answer: initialAnswerState, connectionError: null, settled: false };
}

/** True once the run has ended one way or another (or following it broke off). */
export function hasEnded(run: Pick<FollowedRun, 'connectionError' | 'answer'>): boolean {
  return run.connectionError !== null || isAnswerEnded(run.answer);
}

/** Where the run stands: its answer's status, or `failed` when following it broke off. */
export function statusOf(run: Pick<FollowedRun, 'connectionError' | 'answer'>): AnswerStatus {
  return run.connectionError === null ? run.answer.status : 'failed';
}

/** The run after one more event (`id` is the event's id in its run); a replayed event changes nothing. */
export function applyEvent(run: FollowedRun, id: number, event: StreamEvent): FollowedRun {
  if (id <= run.lastEventId || hasEnded(run)) return run;
  const answer = reduceAnswer(run.answer, event);
  return { ...run, lastEventId: id, answer, runId: run.runId ?? answer.runId };
}

/** The run after its subscription failed: ended with the error, unless it had ended already. */
export function failRun(run: FollowedRun, error: Error): FollowedRun {
  return hasEnded(run) ? run : { ...run, connectionError: error };
}

/** The sends still worth re-attaching to: those of the session's runs sent here that have not ended. */
export function pendingSends(runs: readonly FollowedRun[]): PendingSend[] {
  return runs.flatMap((run) =>
    run.requestId !== null && (run.content !== null || run.branch) && !hasEnded(run)
      ? [
          {
            requestId: run.requestId,
            sessionId: run.sessionId,
            content: run.content ?? '',
            runId: run.runId,
            ...(run.agent ? { agent: run.agent } : {}),
            ...(run.model ? { model: run.model } : {}),
            ...(run.branch ? { branch: run.branch } : {}),
          },
        ]
      : [],
  );
}

const storageKey = (sessionId: string) => `threadline.pending-sends.${sessionId}`;

/** The sends of a session that had not ended when the page went away. */
export function loadPendingSends(storage: Storage | null, sessionId: string): PendingSend[] {
  const raw = storage?.getItem(storageKey(sessionId));
  if (!raw) return [];
  try {
    const value = JSON.parse(raw) as Partial<PendingSend>[];
    return value.flatMap(({ branch, ...send }) =>
      typeof send.requestId === 'string' && typeof send.content === 'string' && send.sessionId === sessionId
        ? [{ ...send, requestId: send.requestId, sessionId, content: send.content, runId: typeof send.runId === 'string' ? send.runId : null, ...(isBranchFrom(branch) ? { branch } : {}) }]
        : [],
    );
  } catch {
    return [];
  }
}

function isBranchFrom(value: unknown): value is BranchFrom {
  const branch = value as Partial<BranchFrom> | null | undefined;
  return (branch?.kind === 'edit' || branch?.kind === 'regenerate') && typeof branch.messageId === 'string';
}

/** Remembers a session's unended sends (none: forgets them). Returns what was written, to skip writing the same again. */
export function savePendingSends(storage: Storage | null, sessionId: string, sends: PendingSend[]): string {
  const text = sends.length > 0 ? JSON.stringify(sends) : '';
  try {
    if (text) storage?.setItem(storageKey(sessionId), text);
    else storage?.removeItem(storageKey(sessionId));
  } catch {
    // Storage full or refused (private mode): a reload then finds the run through runs.list instead.
  }
  return text;
}

/** A requestId: a UUID where the page is a secure context, else random hex of the same strength. */
export function newRequestId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A run shown after the stored history: its question (until stored) and its answer as it streams. */
export interface ChatRun {
  /** Stable across renders: use it as the React key. */
  key: string;
  runId: string | null;
  /** Null for a run started elsewhere. */
  requestId: string | null;
  /** The user's message (an edit's new text), until the history holds it; null for a run started elsewhere and for a regenerate (its question is in the history). */
  question: string | null;
  /** Text, reasoning, tool calls with results and approvals, agent, model, usage: the client's reducer's state. */
  answer: AnswerState;
  /** The answer's status, or `failed` when following it broke off (then `error` says why). */
  status: AnswerStatus;
  /** Why following the run broke off (a network or server error); null otherwise. */
  error: Error | null;
  /** The run has ended (its terminal event came, or following it broke off). */
  ended: boolean;
}

/** The history shown: cut before a message an unsettled edit or regenerate makes a new version of. */
export function shownBranch(messages: Message[], runs: readonly FollowedRun[]): Message[] {
  const replaced = new Set(runs.flatMap((run) => (run.branch && !run.settled ? [run.branch.messageId] : [])));
  if (replaced.size === 0) return messages;
  const cut = messages.findIndex((message) => replaced.has(message.id));
  return cut === -1 ? messages : messages.slice(0, cut);
}

/** The runs to show after the history: each until the history holds its stored answer, its question until the history holds that. */
export function chatRuns(runs: readonly FollowedRun[], messages: readonly Message[]): ChatRun[] {
  const stored = new Set(messages.flatMap((message) => (message.runId ? [`${message.runId} ${message.role}`] : [])));
  return runs
    .filter((run) => !(run.runId && stored.has(`${run.runId} assistant`)))
    .map((run) => ({
      key: run.key,
      runId: run.runId,
      requestId: run.requestId,
      question: run.runId && stored.has(`${run.runId} user`) ? null : run.content,
      answer: run.answer,
      status: statusOf(run),
      error: run.connectionError,
      ended: hasEnded(run),
    }));
}
