/** The server the page talks to when nothing was saved. */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:3000';

/** Where the page talks to and as whom: what ThreadlineProvider takes. */
export interface Connection {
  /** The server's base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** A bearer token (`tl_…`). */
  token: string;
}

const keys = {
  url: 'threadline.url',
  token: 'threadline.token',
  session: 'threadline.session',
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
