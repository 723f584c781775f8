import { useQuery } from '@tanstack/react-query';
import type { Message } from '@threadline/client';
import { useEffect, useRef } from 'react';
import { AllowedTools } from './allowed-tools';
import { Composer } from './composer';
import { MessageView, PendingQuestion, StreamingAnswer } from './message-view';
import { hasEnded, noticeOf, phaseOf } from './run-view';
import { useTRPC, useTRPCClient } from './trpc';
import type { ChatRun } from './use-chat-run';
import { useJoinActiveRun } from './use-join-active-run';

/** Props of ChatPanel. */
export interface ChatPanelProps {
  sessionId: string;
  run: ChatRun;
}

/**
 * The selected session: the tools it runs without asking (when any), its stored history (every
 * page), then the answer streaming in it (sent here, or joined: started in another tab or device),
 * then the composer. The streamed copy of a message is shown only until the history holds the
 * stored one, so a message never appears twice.
 */
export function ChatPanel({ sessionId, run }: ChatPanelProps) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  // Every page, oldest first, under sessions.history's own query key so invalidating it reloads this.
  const history = useQuery({
    queryKey: trpc.sessions.history.queryKey({ sessionId }),
    queryFn: async ({ signal }) => {
      const messages: Message[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.sessions.history.query({ sessionId, limit: 200, ...(cursor ? { cursor } : {}) }, { signal });
        messages.push(...page.messages);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return messages;
    },
  });
  const messages = history.data ?? [];
  useJoinActiveRun(sessionId, run);

  const view = run.view?.sessionId === sessionId ? run.view : null;
  const stored = (role: Message['role']) => view?.runId != null && messages.some((message) => message.role === role && message.runId === view.runId);
  // A joined run's question is not known here: the history holds it (once the run has started).
  const question = view !== null && !view.settled && !stored('user') ? view.content : null;
  const showAnswer = view !== null && !view.settled && !stored('assistant');
  const notice = view && noticeOf(view);

  // One answer streams at a time per tab, in whichever session it was sent.
  const busy = run.view !== null && !hasEnded(run.view);

  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [messages.length, view?.answer.text.length, view?.answer.reasoning.length, view && phaseOf(view)]);

  return (
    <section className="chat" aria-label="Conversation">
      <AllowedTools sessionId={sessionId} />
      <div className="messages">
        {history.isPending && <p className="muted">Loading…</p>}
        {history.isError && <p className="error">Could not load the history: {history.error.message}</p>}
        {history.isSuccess && messages.length === 0 && !view && <p className="muted">No messages yet.</p>}
        {messages.map((message) => (
          <MessageView key={message.id} message={message} />
        ))}
        {question !== null && <PendingQuestion content={question} />}
        {showAnswer && <StreamingAnswer view={view} />}
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <div ref={end} />
      </div>
      <Composer
        busy={busy}
        onSend={(content) => run.send(sessionId, content)}
        onStop={busy && run.view?.runId ? run.stop : undefined}
        stopping={run.stopping}
      />
    </section>
  );
}
