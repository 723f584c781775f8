import type { Message, ToolCallState } from '@threadline/client';
import { ApprovalCard } from './approval-card';
import { phaseOf, type RunView } from './run-view';

/** The model's reasoning, shown apart from (and above) the answer. */
function Reasoning({ text }: { text: string }) {
  if (!text) return null;
  return (
    <details className="reasoning" open data-testid="reasoning">
      <summary>Reasoning</summary>
      <p>{text}</p>
    </details>
  );
}

/** Tool calls and their results; a call that needs approval (of the run `runId`) as an approval card. */
function Tools({ tools, runId = null }: { tools: readonly ToolCallState[]; runId?: string | null }) {
  if (tools.length === 0) return null;
  return (
    <ul className="tools">
      {tools.map(({ approval, ...tool }) => (
        <li key={tool.callId} className={tool.result?.isError ? 'tool error' : 'tool'}>
          {approval && runId ? (
            <ApprovalCard runId={runId} tool={{ ...tool, approval }} />
          ) : (
            <code>
              {tool.name}({JSON.stringify(tool.input)})
            </code>
          )}
          {tool.result ? <code> → {JSON.stringify(tool.result.output)}</code> : approval?.decision !== 'pending' && <span> …</span>}
        </li>
      ))}
    </ul>
  );
}

/** The tool calls of a stored message, each paired with its result, in the shape of a streamed answer's. */
function toolsOf(message: Message): ToolCallState[] {
  const tools: ToolCallState[] = [];
  for (const part of message.parts) {
    if (part.type === 'tool-call') tools.push({ callId: part.callId, name: part.name, input: part.input, result: null, approval: null });
    if (part.type === 'tool-result') {
      const call = tools.find((tool) => tool.callId === part.callId);
      if (!call) continue;
      call.result = { output: part.output, isError: part.isError };
      if (part.approval) {
        const { approved, reason } = part.approval;
        call.approval = { decision: approved ? 'approved' : 'denied', reason };
      }
    }
  }
  return tools;
}

/** One stored message of the history. */
export function MessageView({ message }: { message: Message }) {
  const reasoning = message.parts.flatMap((part) => (part.type === 'reasoning' ? [part.text] : [])).join('');
  return (
    <article
      className={`message ${message.role}`}
      data-testid="message"
      data-role={message.role}
      data-status={message.status}
      data-run-id={message.runId ?? ''}
    >
      <header>
        {message.role === 'user' ? 'You' : (message.model ?? message.role)}
        {message.status !== 'complete' && <span className={`badge ${message.status}`}>{message.status}</span>}
      </header>
      <Reasoning text={reasoning} />
      <Tools tools={toolsOf(message)} runId={message.runId} />
      <div className="text" data-testid="message-text">
        {message.content}
      </div>
    </article>
  );
}

/** The user's message of the streaming run, until the history holds it. */
export function PendingQuestion({ content }: { content: string }) {
  return (
    <article className="message user pending" data-testid="pending-question">
      <header>You</header>
      <div className="text">{content}</div>
    </article>
  );
}

/** The answer as it streams in, until the stored message replaces it. */
export function StreamingAnswer({ view }: { view: RunView }) {
  const phase = phaseOf(view);
  const { answer } = view;
  const starting = phase === 'connecting' || phase === 'queued';
  return (
    <article className="message assistant streaming" data-testid="streaming-answer" data-phase={phase} data-run-id={view.runId ?? ''}>
      <header>
        Assistant
        {phase === 'queued' && <span className="badge">queued #{answer.queuePosition}</span>}
        {phase === 'streaming' && <span className="badge live">streaming</span>}
        {phase === 'waiting' && <span className="badge waiting">waiting for approval</span>}
      </header>
      <Reasoning text={answer.reasoning} />
      <Tools tools={answer.toolCalls} runId={view.runId} />
      {starting && !answer.text && <p className="muted">{phase === 'queued' ? 'Waiting for a free slot…' : 'Connecting…'}</p>}
      <div className="text" data-testid="message-text">
        {answer.text}
      </div>
    </article>
  );
}
