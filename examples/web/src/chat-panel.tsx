import { useChat } from '@threadline/react';
import { useEffect, useRef } from 'react';
import { AllowedTools } from './allowed-tools';
import { Composer } from './composer';
import { ErrorNotice } from './error-notice';
import { PendingQuestion, StreamingAnswer } from './message-view';
import { StoredMessage } from './stored-message';

/** Props of ChatPanel. */
export interface ChatPanelProps {
  sessionId: string;
  serverUrl: string;
}

/**
 * The selected session: the tools it runs without asking (when any), its stored history (the branch
 * shown, with ‹ N/M › between a message's versions, Edit and Regenerate), then the
 * runs streaming in it (sent here, queued behind one another, or started in another tab or
 * device), then the composer, which stays usable while answers stream: a message sent meanwhile
 * goes to the server, which queues it behind the running answer (or refuses it, or interrupts,
 * as the session's busy policy says).
 */
export function ChatPanel({ sessionId, serverUrl }: ChatPanelProps) {
  const chat = useChat({ sessionId });
  const { messages, runs, answer } = chat;
  const busy = chat.status !== 'idle';

  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [messages.length, runs.length, answer?.answer.text.length, answer?.answer.reasoning.length, answer?.status]);

  return (
    <section className="chat" aria-label="Conversation">
      <AllowedTools sessionId={sessionId} />
      <div className="messages">
        {chat.isLoading && <p className="muted">Loading…</p>}
        {!chat.isLoading && messages.length === 0 && runs.length === 0 && <p className="muted">No messages yet.</p>}
        {messages.map((message) => (
          <StoredMessage key={message.id} message={message} chat={chat} />
        ))}
        {runs.map((run) => (
          <div key={run.key} className="turn">
            {run.question !== null && <PendingQuestion content={run.question} />}
            <StreamingAnswer run={run} approve={chat.approve} deny={chat.deny} />
          </div>
        ))}
        <ErrorNotice error={chat.error} serverUrl={serverUrl} />
        <div ref={end} />
      </div>
      <Composer busy={busy} onSend={(content) => chat.send(content)} onStop={busy ? () => chat.stop() : undefined} stopping={chat.isStopping} />
    </section>
  );
}
