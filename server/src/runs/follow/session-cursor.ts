/** What a follower of a session still owes a run after `after`: events after this id, or nothing (`done`). */
export type RunPosition = number | 'done';

/**
 * A follower's position in a session's events (the id of every event `sessions.events` yields):
 * every run up to `after` (by id, which is time-ordered) was delivered in full or left out; each run
 * after it that the follower knows of has a position. Runs after `after` it does not know of are new.
 */
export interface SessionCursor {
  after: string | null;
  /** Known runs after `after`, in id order. */
  runs: Map<string, RunPosition>;
}

/** The id text of a cursor: `<after>~<run>.<event id>~<run>.x…` (see `SessionEventId` in shared). */
export function encodeSessionCursor(cursor: SessionCursor): string {
  let text = cursor.after ?? '';
  for (const [runId, position] of cursor.runs) text += `~${runId}.${position === 'done' ? 'x' : position}`;
  return text;
}

/** The cursor an id names; the id was validated by `SessionEventId` already. */
export function decodeSessionCursor(text: string): SessionCursor {
  const [after, ...entries] = text.split('~');
  const runs = new Map<string, RunPosition>();
  for (const entry of entries.sort()) {
    const dot = entry.lastIndexOf('.');
    const position = entry.slice(dot + 1);
    runs.set(entry.slice(0, dot), position === 'x' ? 'done' : Number(position));
  }
  return { after: after || null, runs };
}

/**
 * Moves `after` past the leading runs that are done, so the id stays short: a follower that read
 * every run to its end carries one run id.
 */
export function compactSessionCursor(cursor: SessionCursor): void {
  for (const [runId, position] of cursor.runs) {
    if (position !== 'done') return;
    cursor.after = runId;
    cursor.runs.delete(runId);
  }
}

/** Adds a run the follower found, keeping the runs in id order. */
export function addSessionRun(cursor: SessionCursor, runId: string, position: RunPosition): void {
  const last = [...cursor.runs.keys()].at(-1);
  cursor.runs.set(runId, position);
  if (last !== undefined && runId < last) {
    const sorted = [...cursor.runs].sort(([a], [b]) => (a < b ? -1 : 1));
    cursor.runs.clear();
    for (const [id, value] of sorted) cursor.runs.set(id, value);
  }
}
