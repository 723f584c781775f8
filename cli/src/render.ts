import type { AnswerState, Message, MessagePart, StreamEvent } from '@threadline/client';
import { describeRunError } from './errors.js';
import type { Style } from './style.js';

/** What the renderer is in the middle of: a reasoning block, answer text, or nothing. */
type Block = 'none' | 'reasoning' | 'text';

/**
 * Writes answers to the terminal as they stream: reasoning as `thinking: …` lines, tool calls as
 * `→ name(input)` and their results as `← output`, each on lines of their own, apart from the text;
 * a call waiting for approval as `? name(input) needs your approval`, the decision as `✓ allowed
 * name` or `✗ denied name: reason`. The same layout serves stored messages (the history, an answer
 * waited for whole).
 */
export class AnswerRenderer {
  private block: Block = 'none';
  private atLineStart = true;

  constructor(
    private readonly output: NodeJS.WritableStream,
    private readonly style: Style,
  ) {}

  /**
   * Renders one stream event. `answer`: the answer with the event applied (reduceAnswer), where a
   * decision line finds the name of its call (a `tool-decision` names only the call id).
   */
  event(event: StreamEvent, answer?: AnswerState): void {
    switch (event.type) {
      case 'reasoning-delta':
        return this.reasoning(event.delta);
      case 'text-delta':
        return this.text(event.delta);
      case 'tool-call':
        return this.line(this.style.tool(`→ ${event.name}(${compact(event.input)})`));
      case 'tool-result':
        return this.line(this.style.tool(`← ${event.isError ? 'error: ' : ''}${compact(event.output)}`));
      case 'tool-approval':
        return this.line(this.style.approval(`? ${event.name}(${compact(event.input)}) needs your approval`));
      case 'tool-decision':
        return this.decision(event, answer?.toolCalls.find((call) => call.callId === event.callId)?.name);
      case 'run-queued':
        return this.line(this.style.notice(`(queued: position ${event.position})`));
      case 'agent-change':
        return this.line(this.style.notice(`(agent ${event.agent} answers)`));
      case 'model-fallback':
        return this.line(this.style.notice(`(${event.from} failed: ${event.code}; ${event.to} answers)`));
      case 'run-error':
        return this.line(this.style.error(event.code === 'quota_exceeded' ? describeRunError(event) : `error (${event.code}): ${event.message}${event.retryable ? ' (you can try again)' : ''}`));
      case 'run-cancel':
        return this.line(this.style.notice('(cancelled)'));
      case 'run-finish':
        if (event.finishReason === 'length') this.line(this.style.notice('(stopped: the answer reached its length limit)'));
        return this.end();
      case 'run-start':
      case 'message-end':
        // Nothing to show: the answer is what streams between them.
        return;
      default:
        return skipUnknown(event);
    }
  }

  /**
   * Renders a stored assistant message part by part (from part `from`, when the parts before it were
   * shown already), then its status when it did not complete (`waiting` is shown by the approvals).
   */
  assistant(message: Pick<Message, 'parts' | 'content' | 'status'>, from = 0): void {
    const parts: MessagePart[] = message.parts.length > 0 ? message.parts : [{ type: 'text', text: message.content }];
    for (const part of parts.slice(from)) this.part(part);
    if (message.status !== 'complete' && message.status !== 'waiting') this.line(this.style.notice(`(${message.status})`));
    this.end();
  }

  /** A line of the CLI's own, on a line of its own. */
  line(text: string): void {
    this.newline();
    this.output.write(`${text}\n`);
    this.block = 'none';
  }

  /** Ends the current line, if any, so that whatever follows starts on a fresh one. */
  end(): void {
    this.newline();
    this.block = 'none';
  }

  /** `✓ allowed name` or `✗ denied name: reason`, for the call `name` (when known). */
  private decision(decision: { approved: boolean; reason: string | null }, name = 'the call'): void {
    if (decision.approved) return this.line(this.style.approval(`✓ allowed ${name}`));
    this.line(this.style.approval(`✗ denied ${name}${decision.reason ? `: ${decision.reason}` : ''}`));
  }

  private part(part: MessagePart): void {
    switch (part.type) {
      case 'reasoning':
        return this.reasoning(part.text);
      case 'text':
        return this.text(part.text);
      case 'tool-call':
        return this.event({ type: 'tool-call', callId: part.callId, name: part.name, input: part.input });
      case 'tool-result':
        if (part.approval) this.decision(part.approval, part.name);
        return this.event({ type: 'tool-result', callId: part.callId, output: part.output, isError: part.isError });
      default:
        return skipUnknown(part);
    }
  }

  private reasoning(delta: string): void {
    if (this.block !== 'reasoning') {
      this.newline();
      this.write(this.style.reasoning('thinking: '), 'thinking: ');
      this.block = 'reasoning';
    }
    this.write(this.style.reasoning(delta), delta);
  }

  private text(delta: string): void {
    if (this.block !== 'text') {
      this.newline();
      this.block = 'text';
    }
    this.write(delta);
  }

  /** Writes `text`; `plain` is the same without escape codes, to know where the line ends. */
  private write(text: string, plain = text): void {
    if (!plain) return;
    this.output.write(text);
    this.atLineStart = plain.endsWith('\n');
  }

  private newline(): void {
    if (!this.atLineStart) this.output.write('\n');
    this.atLineStart = true;
  }
}

/**
 * Every event and part type is handled above (a new one in the contract does not compile here); one
 * from a newer server, unknown to this client, is skipped rather than shown wrong.
 */
function skipUnknown(_value: never): void {}

/** A value on one line: strings as they are, anything else as compact JSON. */
export function compact(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
