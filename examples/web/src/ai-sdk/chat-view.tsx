import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport, lastAssistantMessageIsCompleteWithApprovalResponses } from 'ai';
import { useMemo, useState } from 'react';
import type { ChatMessage, Connection } from './types';

/**
 * useChat, unchanged, with its default transport pointed at Threadline: `resume` picks up a run
 * still going after a reload; approvals are answered with `addToolApprovalResponse` and sent
 * once every request of the message has its answer.
 */
export function ChatView({ connection, chatId, initialMessages, agent }: { connection: Connection; chatId: string; initialMessages: ChatMessage[]; agent?: string }) {
  const transport = useMemo(
    () =>
      new DefaultChatTransport<ChatMessage>({
        api: `${connection.server}/api/chat`,
        headers: { authorization: `Bearer ${connection.token}` },
        // Extra body fields Threadline reads: the agent to answer with.
        ...(agent ? { body: { agent } } : {}),
      }),
    [connection, agent],
  );
  const { messages, sendMessage, status, stop, error, addToolApprovalResponse } = useChat<ChatMessage>({
    id: chatId,
    messages: initialMessages,
    transport,
    resume: true,
    sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses,
  });
  const [draft, setDraft] = useState('');
  const busy = status === 'submitted' || status === 'streaming';

  return (
    <>
      {messages.map((message) => (
        <div key={message.id} className="message" data-testid="message" data-role={message.role} data-run-id={message.role === 'assistant' ? message.id : undefined}>
          {message.parts.map((part, index) => {
            switch (part.type) {
              case 'text':
                return <span key={index} data-testid="message-text">{part.text}</span>;
              case 'reasoning':
                return <div key={index} className="reasoning">{part.text}</div>;
              case 'dynamic-tool':
                return (
                  <div key={index} className="tool" data-testid="tool" data-state={part.state}>
                    {part.toolName}({JSON.stringify(part.input)}) {part.state === 'output-available' ? `→ ${JSON.stringify(part.output)}` : part.state}
                    {part.state === 'approval-requested' && (
                      <>
                        <button onClick={() => addToolApprovalResponse({ id: part.approval.id, approved: true })}>Approve</button>
                        <button onClick={() => addToolApprovalResponse({ id: part.approval.id, approved: false, reason: 'denied on the page' })}>Deny</button>
                      </>
                    )}
                  </div>
                );
              case 'data-queue':
                return part.data.position > 0 ? <div key={index} className="meta">queued: {part.data.position}</div> : null;
              case 'data-agent':
                return <div key={index} className="meta">{part.data.agent}{part.data.model ? ` · ${part.data.model}` : ''}</div>;
              default:
                return null;
            }
          })}
          {message.metadata?.usage && <div className="meta">{message.metadata.usage.outputTokens} tokens out</div>}
        </div>
      ))}
      {error && <p className="error" data-testid="error">{error.message}</p>}
      <p className="meta" data-testid="status">{status}</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!draft.trim() || busy) return;
          void sendMessage({ text: draft });
          setDraft('');
        }}
      >
        <input aria-label="Message" value={draft} onChange={(event) => setDraft(event.target.value)} />
        {busy ? <button type="button" onClick={() => void stop()}>Stop</button> : <button type="submit">Send</button>}
      </form>
    </>
  );
}
