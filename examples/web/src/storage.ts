import type { Connection } from './trpc';

/** The server the page talks to when nothing was saved. */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:3000';

const keys = {
  url: 'threadline.url',
  token: 'threadline.token',
  session: 'threadline.session',
  pendingRun: 'threadline.pending-run',
} as const;

/** The saved server URL and token (localStorage); the token is empty until one is entered. */
export function loadConnection(): Connection {
  return { url: localStorage.getItem(keys.url) ?? DEFAULT_SERVER_URL, token: localStorage.getItem(keys.token) ?? '' };
}

/** Saves the server URL and token for the next visit. */
export function saveConnection(connection: Connection): void {
  localStorage.setItem(keys.url, connection.url);
  localStorage.setItem(keys.token, connection.token);
}

/** The session selected last, if any. */
export function loadSelectedSession(): string | null {
  return localStorage.getItem(keys.session);
}

/** Remembers the selected session (null forgets it). */
export function saveSelectedSession(sessionId: string | null): void {
  if (sessionId) localStorage.setItem(keys.session, sessionId);
  else localStorage.removeItem(keys.session);
}

/**
 * An answer being streamed: what re-attaches to it after a reload. `chat.stream` with the same
 * `requestId` never starts a second run; it replays the run's events and follows it to the end.
 */
export interface PendingRun {
  requestId: string;
  sessionId: string;
  /** The user's message, sent again on re-attach because chat.stream's input requires it. */
  content: string;
  /** Known once the run has started. */
  runId: string | null;
}

/** The answer that was streaming when the page went away (sessionStorage: this tab only). */
export function loadPendingRun(): PendingRun | null {
  const raw = sessionStorage.getItem(keys.pendingRun);
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<PendingRun>;
    return value.requestId && value.sessionId && value.content
      ? { requestId: value.requestId, sessionId: value.sessionId, content: value.content, runId: value.runId ?? null }
      : null;
  } catch {
    return null;
  }
}

/** Remembers the streaming answer, or forgets it (null) once it has ended. */
export function savePendingRun(run: PendingRun | null): void {
  if (run) sessionStorage.setItem(keys.pendingRun, JSON.stringify(run));
  else sessionStorage.removeItem(keys.pendingRun);
}
