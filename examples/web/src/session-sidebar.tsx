import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Session } from '@threadline/client';
import { useState, type FormEvent } from 'react';
import { useTRPC } from './trpc';

/** Props of SessionSidebar. */
export interface SessionSidebarProps {
  selectedId: string | null;
  onSelect(sessionId: string | null): void;
}

/** A session's name in the list. */
export function sessionName(session: Pick<Session, 'title' | 'createdAt'>): string {
  return session.title ?? `Untitled (${session.createdAt.toLocaleString()})`;
}

/** The user's sessions, newest activity first, with new, rename and delete. */
export function SessionSidebar({ selectedId, onSelect }: SessionSidebarProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.sessions.list.queryOptions({ limit: 100 }));
  const refresh = () => queryClient.invalidateQueries(trpc.sessions.list.pathFilter());
  const create = useMutation(
    trpc.sessions.create.mutationOptions({
      onSuccess: async (session) => {
        await refresh();
        onSelect(session.id);
      },
    }),
  );
  const remove = useMutation(
    trpc.sessions.delete.mutationOptions({
      onSuccess: async ({ sessionId }) => {
        if (sessionId === selectedId) onSelect(null);
        await refresh();
      },
    }),
  );

  return (
    <nav className="sidebar" aria-label="Sessions">
      <button type="button" className="new-session" onClick={() => create.mutate({ title: 'New chat' })} disabled={create.isPending}>
        New session
      </button>
      {list.isError && <p className="error">{list.error.message}</p>}
      {create.isError && <p className="error">{create.error.message}</p>}
      {remove.isError && <p className="error">{remove.error.message}</p>}
      <ul>
        {list.data?.items.map((session) => (
          <SessionItem
            key={session.id}
            session={session}
            selected={session.id === selectedId}
            onSelect={() => onSelect(session.id)}
            onDelete={() => remove.mutate({ sessionId: session.id })}
          />
        ))}
      </ul>
      {list.data?.nextCursor && <p className="muted">Older sessions are not listed.</p>}
    </nav>
  );
}

interface SessionItemProps {
  session: Session;
  selected: boolean;
  onSelect(): void;
  onDelete(): void;
}

/** One session: its name (click to open), Rename (an inline form) and Delete. */
function SessionItem({ session, selected, onSelect, onDelete }: SessionItemProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [title, setTitle] = useState<string | null>(null);
  const rename = useMutation(
    trpc.sessions.update.mutationOptions({
      onSuccess: async () => {
        setTitle(null);
        await queryClient.invalidateQueries(trpc.sessions.list.pathFilter());
      },
    }),
  );
  const name = sessionName(session);
  const save = (event: FormEvent) => {
    event.preventDefault();
    if (title?.trim()) rename.mutate({ sessionId: session.id, title: title.trim() });
  };

  if (title !== null) {
    return (
      <li className="session editing">
        <form onSubmit={save}>
          <input aria-label="Session title" value={title} onChange={(event) => setTitle(event.target.value)} maxLength={200} autoFocus />
          <button type="submit" disabled={rename.isPending}>
            Save
          </button>
          <button type="button" onClick={() => setTitle(null)}>
            Cancel
          </button>
        </form>
        {rename.isError && <p className="error">{rename.error.message}</p>}
      </li>
    );
  }
  return (
    <li className={selected ? 'session selected' : 'session'} data-testid="session" data-session-id={session.id}>
      <button type="button" className="session-title" aria-current={selected ? 'page' : undefined} onClick={onSelect}>
        {name}
        <small>{session.messageCount} messages</small>
      </button>
      <button type="button" aria-label={`Rename ${name}`} title="Rename" onClick={() => setTitle(session.title ?? '')}>
        ✎
      </button>
      <button type="button" aria-label={`Delete ${name}`} title="Delete" onClick={onDelete}>
        ✕
      </button>
    </li>
  );
}
