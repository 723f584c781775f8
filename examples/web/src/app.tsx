import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createThreadlineClient } from '@threadline/client';
import { useMemo, useState } from 'react';
import { ChatPanel } from './chat-panel';
import { ConnectionForm } from './connection-form';
import { SessionSidebar } from './session-sidebar';
import { loadConnection, loadSelectedSession, saveConnection, saveSelectedSession } from './storage';
import { TRPCProvider, type Connection } from './trpc';
import { useChatRun } from './use-chat-run';

/** The page: the connection bar, and once a token is set, the sessions and the conversation. */
export function App() {
  const [connection, setConnection] = useState<Connection>(loadConnection);
  // A new server or token starts from an empty cache with a new client. Subscriptions go over SSE
  // with the `eventsource` package, whose `fetch` option (unlike the browser's EventSource) lets
  // the Authorization header through.
  const { queryClient, trpcClient } = useMemo(
    () => ({
      queryClient: new QueryClient({ defaultOptions: { queries: { staleTime: 5_000, retry: 1 } } }),
      trpcClient: createThreadlineClient(connection),
    }),
    [connection],
  );
  const save = (next: Connection) => {
    saveConnection(next);
    setConnection(next);
  };

  return (
    <div className="app">
      <ConnectionForm connection={connection} onSave={save} />
      {connection.token ? (
        <QueryClientProvider client={queryClient}>
          <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
            <Workspace key={`${connection.url} ${connection.token}`} />
          </TRPCProvider>
        </QueryClientProvider>
      ) : (
        <p className="hint">Enter the server URL and a token (the server prints one on its first start and keeps it in data/token).</p>
      )}
    </div>
  );
}

/** The sidebar and the selected session; owns the streaming answer so it survives switching sessions. */
function Workspace() {
  const run = useChatRun();
  const [selectedId, setSelectedId] = useState<string | null>(() => run.view?.sessionId ?? loadSelectedSession());
  const select = (sessionId: string | null) => {
    saveSelectedSession(sessionId);
    setSelectedId(sessionId);
  };
  return (
    <main className="workspace">
      <SessionSidebar selectedId={selectedId} onSelect={select} />
      {selectedId ? (
        <ChatPanel key={selectedId} sessionId={selectedId} run={run} />
      ) : (
        <p className="hint">Pick a session, or start a new one.</p>
      )}
    </main>
  );
}
