import type { Session } from '@threadline/client';
import { useSessions } from '@threadline/react';
import { useState, type FormEvent } from 'react';
import { ErrorNotice } from './error-notice';

/** Props of SessionSidebar. */
export interface SessionSidebarProps {
  selectedId: string | null;
  onSelect(sessionId: string | null): void;
  serverUrl: string;
}

/** A session's name in the list. */
export function sessionName(session: Pick<Session, 'title' | 'createdAt'>): string {
  return session.title ?? `Untitled (${session.createdAt.toLocaleString()})`;
}

/** "1 message", "2 messages". */
function messageCount(count: number): string {
  return `${count} ${count === 1 ? 'message' : 'messages'}`;
}

/**
 * The user's sessions, newest activity first, with new, rename, archive and delete (the list
 * changes at once; useSessions puts it back if the server refuses). A new session is untitled:
 * the server names it after its first exchange.
 */
export function SessionSidebar({ selectedId, onSelect, serverUrl }: SessionSidebarProps) {
  const sessions = useSessions({ limit: 100 });
  const create = async () => {
    const session = await sessions.create();
    if (session) onSelect(session.id);
  };
  const leave = (sessionId: string) => {
    if (sessionId === selectedId) onSelect(null);
  };

  return (
    <nav className="sidebar" aria-label="Sessions">
      <button type="button" className="new-session" onClick={() => void create()} disabled={sessions.isMutating}>
        New session
      </button>
      <ErrorNotice error={sessions.error} serverUrl={serverUrl} />
      <ul>
        {sessions.sessions.map((session) => (
          <SessionItem
            key={session.id}
            session={session}
            selected={session.id === selectedId}
            onSelect={() => onSelect(session.id)}
            onRename={(title) => void sessions.rename(session.id, title)}
            onArchive={() => {
              leave(session.id);
              void sessions.archive(session.id);
            }}
            onDelete={() => {
              leave(session.id);
              void sessions.remove(session.id);
            }}
          />
        ))}
      </ul>
      {sessions.nextCursor && <p className="muted">Older sessions are not listed.</p>}
    </nav>
  );
}

interface SessionItemProps {
  session: Session;
  selected: boolean;
  onSelect(): void;
  onRename(title: string): void;
  onArchive(): void;
  onDelete(): void;
}

/** One session: its name (click to open), Rename (an inline form), Archive and Delete. */
function SessionItem({ session, selected, onSelect, onRename, onArchive, onDelete }: SessionItemProps) {
  const [title, setTitle] = useState<string | null>(null);
  const name = sessionName(session);
  const save = (event: FormEvent) => {
    event.preventDefault();
    if (!title?.trim()) return;
    onRename(title.trim());
    setTitle(null);
  };

  if (title !== null) {
    return (
      <li className="session editing">
        <form onSubmit={save}>
          <input aria-label="Session title" value={title} onChange={(event) => setTitle(event.target.value)} maxLength={200} autoFocus />
          <button type="submit">Save</button>
          <button type="button" onClick={() => setTitle(null)}>
            Cancel
          </button>
        </form>
      </li>
    );
  }
  return (
    <li className={selected ? 'session selected' : 'session'} data-testid="session" data-session-id={session.id}>
      <button type="button" className="session-title" aria-current={selected ? 'page' : undefined} onClick={onSelect}>
        {name}
        <small data-testid="message-count">{messageCount(session.messageCount)}</small>
      </button>
      <button type="button" aria-label={`Rename ${name}`} title="Rename" onClick={() => setTitle(session.title ?? '')}>
        ✎
      </button>
      <button type="button" aria-label={`Archive ${name}`} title="Archive" onClick={onArchive}>
        ⤓
      </button>
      <button type="button" aria-label={`Delete ${name}`} title="Delete" onClick={onDelete}>
        ✕
      </button>
    </li>
  );
}
