// A page for test/react-hooks.test.ts: the hooks bare, in StrictMode, served by Vite's dev server
// (development React, so StrictMode runs every effect twice on mount). Not part of the package.
import { ThreadlineProvider, useChat, useSessions } from '@threadline/react';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';

const params = new URLSearchParams(location.search);

function Harness({ sessionId }: { sessionId: string }) {
  const sessions = useSessions();
  const [title, setTitle] = useState('');
  return (
    <main>
      <ul>
        {sessions.sessions.map((session) => (
          <li key={session.id} data-testid="session" data-session-id={session.id}>
            {session.title ?? 'untitled'}
          </li>
        ))}
      </ul>
      <input aria-label="Title" value={title} onChange={(event) => setTitle(event.target.value)} />
      <button type="button" onClick={() => void sessions.rename(sessionId, title)}>
        Rename
      </button>
      <p data-testid="sessions-error">{sessions.error?.message}</p>
      <Chat sessionId={sessionId} />
    </main>
  );
}

function Chat({ sessionId }: { sessionId: string }) {
  const chat = useChat({ sessionId });
  const [content, setContent] = useState('');
  const firstQuestion = chat.messages.find((message) => message.role === 'user');
  const lastAnswer = [...chat.messages].reverse().find((message) => message.role === 'assistant');
  return (
    <section>
      <p data-testid="status">{chat.status}</p>
      {chat.messages.map((message) => (
        <p key={message.id} data-testid="message" data-role={message.role} data-run-id={message.runId ?? ''}>
          {message.content}
        </p>
      ))}
      {chat.runs.map((run) => (
        <p key={run.key} data-testid="run" data-run-id={run.runId ?? ''} data-status={run.status}>
          {run.answer.text}
        </p>
      ))}
      <input aria-label="Content" value={content} onChange={(event) => setContent(event.target.value)} />
      <button type="button" onClick={() => chat.send(content)}>
        Send
      </button>
      <button
        type="button"
        onClick={() => {
          chat.send(content);
          chat.send(content);
        }}
      >
        Send twice
      </button>
      <button type="button" onClick={() => chat.send(content, { requestId: params.get('requestId')! })}>
        Send with the requestId
      </button>
      <button
        type="button"
        onClick={() => {
          chat.edit(firstQuestion!.id, content);
          chat.edit(firstQuestion!.id, content);
        }}
      >
        Edit the first question twice
      </button>
      <button
        type="button"
        onClick={() => {
          chat.regenerate(lastAnswer!.id);
          chat.regenerate(lastAnswer!.id);
        }}
      >
        Regenerate the last answer twice
      </button>
      <button type="button" onClick={() => void chat.switchBranch(lastAnswer!.previousSiblingId!)}>
        Previous answer
      </button>
      <p data-testid="chat-error">{chat.error?.message}</p>
    </section>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ThreadlineProvider url={params.get('server')!} token={params.get('token')!}>
      <Harness sessionId={params.get('session')!} />
    </ThreadlineProvider>
  </StrictMode>,
);
