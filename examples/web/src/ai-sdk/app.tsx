import { useEffect, useState } from 'react';
import { ChatView } from './chat-view';
import type { ChatMessage, Connection } from './types';

const STORAGE_KEY = 'threadline-ai-sdk-connection';

/** The server and token: from `?server=…&token=…` (then kept), else from the last visit. */
function readConnection(): Connection | undefined {
  const params = new URLSearchParams(location.search);
  const server = params.get('server');
  const token = params.get('token');
  if (server && token) {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ server, token }));
    history.replaceState(null, '', `${location.pathname}${location.hash}`);
    return { server, token };
  }
  const kept = localStorage.getItem(STORAGE_KEY);
  return kept ? (JSON.parse(kept) as Connection) : undefined;
}

/** The chat id from the address (`#chat=…`), or a new one put there: a reload keeps the same chat. */
function chatIdFromHash(): string {
  const found = /chat=([^&]+)/.exec(location.hash)?.[1];
  if (found) return decodeURIComponent(found);
  const id = crypto.randomUUID();
  history.replaceState(null, '', `${location.pathname}${location.search}#chat=${id}`);
  return id;
}

/** The agent to answer with, from the address (`#chat=…&agent=assistant`); the session's own when absent. */
function agentFromHash(): string | undefined {
  const found = /agent=([^&]+)/.exec(location.hash)?.[1];
  return found ? decodeURIComponent(found) : undefined;
}

/**
 * A chat page on the AI SDK's `useChat` and its default HTTP transport, against Threadline's
 * `/api/chat`: the chat id is the session, its stored messages are loaded first, and a run still
 * going (a reload mid-answer) is resumed from its start.
 */
export function AiSdkApp() {
  const [connection, setConnection] = useState(readConnection);
  const [chatId] = useState(chatIdFromHash);
  const [agent] = useState(agentFromHash);
  const [initial, setInitial] = useState<ChatMessage[] | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    if (!connection) return;
    const controller = new AbortController();
    fetch(`${connection.server}/api/chat/${encodeURIComponent(chatId)}/messages`, { headers: { authorization: `Bearer ${connection.token}` }, signal: controller.signal })
      .then(async (response) => {
        if (!response.ok) throw new Error(await response.text());
        setInitial(((await response.json()) as { messages: ChatMessage[] }).messages);
      })
      .catch((caught: Error) => !controller.signal.aborted && setError(caught.message));
    return () => controller.abort();
  }, [connection, chatId]);

  if (!connection) return <ConnectionForm onConnect={setConnection} />;
  return (
    <main>
      <h1>Threadline × useChat</h1>
      <p className="meta" data-testid="chat-id">chat {chatId}</p>
      {error && <p className="error">{error}</p>}
      {initial && <ChatView connection={connection} chatId={chatId} initialMessages={initial} {...(agent ? { agent } : {})} />}
    </main>
  );
}

function ConnectionForm({ onConnect }: { onConnect: (connection: Connection) => void }) {
  const [server, setServer] = useState('http://127.0.0.1:3000');
  const [token, setToken] = useState('');
  return (
    <main>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          localStorage.setItem(STORAGE_KEY, JSON.stringify({ server, token }));
          onConnect({ server, token });
        }}
      >
        <input aria-label="Server" value={server} onChange={(event) => setServer(event.target.value)} />
        <input aria-label="Token" value={token} onChange={(event) => setToken(event.target.value)} />
        <button type="submit">Connect</button>
      </form>
    </main>
  );
}
