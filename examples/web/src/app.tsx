import { ThreadlineProvider } from '@threadline/react';
import { useState } from 'react';
import { ChatPanel } from './chat-panel';
import { ConnectionForm } from './connection-form';
import { SessionSidebar } from './session-sidebar';
import { loadConnection, loadSelectedSession, saveConnection, saveSelectedSession, type Connection } from './storage';

/** The page: the connection bar, and once a token is set, the sessions and the conversation. */
export function App() {
  const [connection, setConnection] = useState<Connection>(loadConnection);
  const save = (next: Connection) => {
    saveConnection(next);
    setConnection(next);
  };

  return (
    <div className="app">
      <ConnectionForm connection={connection} onSave={save} />
      {connection.token ? (
        // A new server or token starts from an empty cache with a new client (the key).
        <ThreadlineProvider key={`${connection.url} ${connection.token}`} url={connection.url} token={connection.token}>
          <Workspace serverUrl={connection.url} />
        </ThreadlineProvider>
      ) : (
        <p className="hint">Enter the server URL and a token (the server prints one on its first start and keeps it in data/token).</p>
      )}
    </div>
  );
}

/** The sidebar and the selected session. */
function Workspace({ serverUrl }: { serverUrl: string }) {
  const [selectedId, setSelectedId] = useState<string | null>(loadSelectedSession);
  const select = (sessionId: string | null) => {
    saveSelectedSession(sessionId);
    setSelectedId(sessionId);
  };
  return (
    <main className="workspace">
      <SessionSidebar selectedId={selectedId} onSelect={select} serverUrl={serverUrl} />
      {selectedId ? (
        <ChatPanel key={selectedId} sessionId={selectedId} serverUrl={serverUrl} />
      ) : (
        <p className="hint">Pick a session, or start a new one.</p>
      )}
    </main>
  );
}
