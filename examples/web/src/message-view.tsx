import type { Message, ToolCallState, Usage } from '@threadline/client';
import type { ChatRun, UseChatResult } from '@threadline/react';
import type { ReactNode } from 'react';
import { ApprovalCard } from './approval-card';
import { MarkdownText } from './markdown-text';

/** What answers an approval card: useChat's approve and deny. */
type Decide = Pick<UseChatResult, 'approve' | 'deny'>;

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
function Tools({ tools, runId, decide }: { tools: readonly ToolCallState[]; runId: string | null; decide: Decide }) {
  if (tools.length === 0) return null;
  return (
    <ul className="tools">
      {tools.map(({ approval, ...tool }) => (
        <li key={tool.callId} className={tool.result?.isError ? 'tool error' : 'tool'}>
          {approval && runId ? (
            <ApprovalCard runId={runId} tool={{ ...tool, approval }} {...decide} />
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

/** "12 in · 30 out tokens" (with reasoning and cached input where reported). */
function usageText(usage: Usage): string {
  const parts = [`${usage.inputTokens} in`, `${usage.outputTokens} out`];
  if (usage.reasoningTokens) parts.push(`${usage.reasoningTokens} reasoning`);
  if (usage.cachedInputTokens) parts.push(`${usage.cachedInputTokens} cached`);
  return `${parts.join(' · ')} tokens`;
}

/** Under an answer: the model that wrote it, its usage (once known) and its status. */
function AnswerMeta({ model, usage, status }: { model: string | null; usage: Usage | null; status: string }) {
  return (
    <footer className="meta" data-testid="message-meta">
      {model && <span data-testid="model">{model}</span>}
      {usage && <span data-testid="usage">{usageText(usage)}</span>}
      <span data-testid="status" className={`status ${status}`}>
        {status}
      </span>
    </footer>
  );
}

/** Props of MessageFrame. */
interface MessageFrameProps {
  role: Message['role'];
  label: ReactNode;
  /** Badges beside the label (the status of a streaming answer). */
  badges?: ReactNode;
  /** Beside the label on the right: room for a message's controls (‹ 1/2 › between its siblings, say). */
  controls?: ReactNode;
  className?: string;
  attributes: Record<`data-${string}`, string>;
  children: ReactNode;
}

/** The frame every message shares, stored or streaming: header (label, badges, controls), body. */
function MessageFrame({ role, label, badges, controls, className = '', attributes, children }: MessageFrameProps) {
  return (
    <article className={`message ${role} ${className}`.trim()} {...attributes}>
      <header>
        <span className="label">{label}</span>
        {badges}
        {controls && <span className="controls">{controls}</span>}
      </header>
      {children}
    </article>
  );
}

/** Props of MessageView. */
export interface MessageViewProps extends Decide {
  message: Message;
  /** Controls shown in the message's header (branch arrows, actions). */
  controls?: ReactNode;
}

/** One stored message of the history: its text as Markdown; for an answer its reasoning, tools, model, usage and status. */
export function MessageView({ message, controls, approve, deny }: MessageViewProps) {
  const reasoning = message.parts.flatMap((part) => (part.type === 'reasoning' ? [part.text] : [])).join('');
  const answer = message.role === 'assistant';
  return (
    <MessageFrame
      role={message.role}
      label={message.role === 'user' ? 'You' : answer ? 'Assistant' : message.role}
      badges={message.status !== 'complete' && <span className={`badge ${message.status}`}>{message.status}</span>}
      controls={controls}
      attributes={{ 'data-testid': 'message', 'data-role': message.role, 'data-status': message.status, 'data-run-id': message.runId ?? '' }}
    >
      <Reasoning text={reasoning} />
      <Tools tools={toolsOf(message)} runId={message.runId} decide={{ approve, deny }} />
      <MarkdownText text={message.content} />
      {answer && <AnswerMeta model={message.model} usage={message.usage} status={message.status} />}
    </MessageFrame>
  );
}

/** The user's message of a streaming run, until the history holds it. */
export function PendingQuestion({ content }: { content: string }) {
  return (
    <MessageFrame role="user" label="You" className="pending" attributes={{ 'data-testid': 'pending-question' }}>
      <MarkdownText text={content} />
    </MessageFrame>
  );
}

/** Props of StreamingAnswer. */
export interface StreamingAnswerProps extends Decide {
  run: ChatRun;
}

/** An answer as it streams in (or waits in the queue, or for an approval), until the stored message replaces it. */
export function StreamingAnswer({ run, approve, deny }: StreamingAnswerProps) {
  const { answer, status } = run;
  const starting = status === 'connecting' || status === 'queued';
  const notice = run.error ? null : answer.error ? `${answer.error.code}: ${answer.error.message}` : answer.cancelReason && `Stopped: ${answer.cancelReason}`;
  return (
    <MessageFrame
      role="assistant"
      label="Assistant"
      className="streaming"
      badges={
        <>
          {status === 'queued' && <span className="badge">queued #{answer.queuePosition}</span>}
          {status === 'streaming' && <span className="badge live">streaming</span>}
          {status === 'waiting' && <span className="badge waiting">waiting for approval</span>}
        </>
      }
      attributes={{ 'data-testid': 'streaming-answer', 'data-phase': status, 'data-run-id': run.runId ?? '' }}
    >
      <Reasoning text={answer.reasoning} />
      <Tools tools={answer.toolCalls} runId={run.runId} decide={{ approve, deny }} />
      {starting && !answer.text && <p className="muted">{status === 'queued' ? 'Waiting for its turn…' : 'Connecting…'}</p>}
      <MarkdownText text={answer.text} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <AnswerMeta model={answer.model} usage={answer.usage} status={status} />
    </MessageFrame>
  );
}
