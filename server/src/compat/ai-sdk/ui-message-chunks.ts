import type { UIMessageChunk } from 'ai';
import type { StreamEvent, Usage } from '@threadline/shared';

/** The data parts Threadline adds to a UI message stream (`data-<name>` chunks). */
export interface ThreadlineDataParts {
  /** The session the chat is (its id may differ from the chat id: see chat-session.ts) and the run answering. */
  session: { sessionId: string | null; runId: string };
  /** The agent answering: the first, then one per handoff. */
  agent: { agent: string; model?: string };
  /** The run waits for a slot: its position (1 = next); 0 once it runs. */
  queue: { position: number };
  // An index signature keeps this assignable to the ai package's UIDataTypes.
  [name: string]: unknown;
}

/** The metadata of the assistant message (`start` and `finish` chunks). */
export interface ThreadlineMessageMetadata {
  runId: string;
  sessionId?: string | null;
  agent?: string;
  model?: string;
  usage?: Usage;
  [name: string]: unknown;
}

/** One chunk of the ai package's UI message stream, typed with Threadline's data parts. */
export type ThreadlineChunk = UIMessageChunk<ThreadlineMessageMetadata, ThreadlineDataParts>;

/** The approval id of a call: the run and the call, so the next request's approval response names both. */
export function approvalIdOf(runId: string, callId: string): string {
  return `${runId}:${callId}`;
}

/** The run and call an approval id names, or undefined for one that is not ours. */
export function parseApprovalId(approvalId: string): { runId: string; callId: string } | undefined {
  const colon = approvalId.indexOf(':');
  if (colon <= 0 || colon === approvalId.length - 1) return undefined;
  return { runId: approvalId.slice(0, colon), callId: approvalId.slice(colon + 1) };
}

/**
 * Turns one run's events into UI message stream chunks, in order: text and reasoning become
 * start/delta/end parts (a part ends when something else comes), tool calls become dynamic tool
 * parts (input, approval request, output, denial), agent changes and queue positions data parts.
 * Stateful: one per stream.
 */
export class UIMessageChunkMapper {
  private open: { kind: 'text' | 'reasoning'; id: string } | undefined;
  private readonly denied = new Set<string>();
  private runId = '';
  /** The last queue position sent was not 0: the first sign of an answer says 0. */
  private queued = false;

  constructor(private readonly options: { runId: string }) {
    this.runId = options.runId;
  }

  /** The chunks for one event (`eventId` makes part ids unique within the run). */
  map(eventId: number, event: StreamEvent): ThreadlineChunk[] {
    const chunks: ThreadlineChunk[] = [];
    if (this.queued && event.type !== 'run-queued') {
      this.queued = false;
      chunks.push({ type: 'data-queue', id: 'queue', data: { position: 0 } });
    }
    switch (event.type) {
      case 'run-start':
        this.runId = event.runId;
        chunks.push(
          { type: 'start', messageId: event.runId, messageMetadata: { runId: event.runId, sessionId: event.sessionId, agent: event.agent, model: event.model } },
          { type: 'data-session', id: 'session', data: { sessionId: event.sessionId, runId: event.runId } },
          { type: 'data-agent', id: 'agent', data: { agent: event.agent, model: event.model } },
        );
        break;
      case 'run-queued':
        this.queued = true;
        chunks.push({ type: 'data-queue', id: 'queue', data: { position: event.position } });
        break;
      case 'agent-change':
        chunks.push(...this.close(), { type: 'data-agent', id: 'agent', data: { agent: event.agent } });
        break;
      case 'model-fallback':
        // The run's model failed before its first token and a fallback answers (the page may say which).
        chunks.push({ type: 'data-model', id: 'model', data: { model: event.to, replaced: event.from, code: event.code } });
        break;
      case 'reasoning-delta':
      case 'text-delta': {
        const kind = event.type === 'text-delta' ? 'text' : 'reasoning';
        if (this.open?.kind !== kind) {
          chunks.push(...this.close());
          this.open = { kind, id: `${kind}-${eventId}` };
          chunks.push(kind === 'text' ? { type: 'text-start', id: this.open.id } : { type: 'reasoning-start', id: this.open.id });
        }
        const id = this.open.id;
        chunks.push(kind === 'text' ? { type: 'text-delta', id, delta: event.delta } : { type: 'reasoning-delta', id, delta: event.delta });
        break;
      }
      case 'tool-call':
        chunks.push(
          ...this.close(),
          { type: 'tool-input-start', toolCallId: event.callId, toolName: event.name, dynamic: true },
          { type: 'tool-input-available', toolCallId: event.callId, toolName: event.name, input: event.input, dynamic: true },
        );
        break;
      case 'tool-approval':
        chunks.push(...this.close(), { type: 'tool-approval-request', approvalId: approvalIdOf(this.runId, event.callId), toolCallId: event.callId });
        break;
      case 'tool-decision':
        if (!event.approved) {
          // The denial is the call's outcome; its error result (what the model hears) is not shown again.
          this.denied.add(event.callId);
          chunks.push({ type: 'tool-output-denied', toolCallId: event.callId });
        }
        break;
      case 'tool-result':
        if (this.denied.has(event.callId)) break;
        chunks.push(
          event.isError
            ? { type: 'tool-output-error', toolCallId: event.callId, errorText: typeof event.output === 'string' ? event.output : JSON.stringify(event.output), dynamic: true }
            : { type: 'tool-output-available', toolCallId: event.callId, output: event.output, dynamic: true },
        );
        break;
      case 'message-end':
        break;
      case 'run-finish':
        chunks.push(...this.close(), { type: 'finish', finishReason: event.finishReason, messageMetadata: { runId: this.runId, usage: event.usage } });
        break;
      case 'run-error':
        chunks.push(...this.close(), { type: 'error', errorText: event.message });
        break;
      case 'run-cancel':
        chunks.push(...this.close(), { type: 'abort', reason: event.reason });
        break;
      default:
        event satisfies never;
    }
    return chunks;
  }

  /** Ends the text or reasoning part in progress (a stream that stops at a pause calls it before `finish`). */
  close(): ThreadlineChunk[] {
    const open = this.open;
    this.open = undefined;
    if (!open) return [];
    return [open.kind === 'text' ? { type: 'text-end', id: open.id } : { type: 'reasoning-end', id: open.id }];
  }
}
