import type { PendingRun } from './storage';
import type { StreamEvent } from './trpc';

/** Where a streamed answer stands. The last four are ends. */
export type RunPhase = 'connecting' | 'queued' | 'streaming' | 'completed' | 'cancelled' | 'failed' | 'interrupted';

/** A tool call seen in the stream, with its result once it came. */
export interface ToolActivity {
  callId: string;
  name: string;
  input: unknown;
  output?: unknown;
  isError?: boolean;
}

/** What the page shows of the answer being streamed, built from its events in order. */
export interface RunView extends PendingRun {
  /** The last event applied; events at or below it (a replay) are skipped, so nothing shows twice. */
  lastEventId: number;
  reasoning: string;
  text: string;
  tools: ToolActivity[];
  phase: RunPhase;
  /** Position in the provider's queue while `queued`. */
  queuePosition: number | null;
  /** Why it failed or was cancelled. */
  notice: string | null;
  /** The end has been handled: the pending run forgotten and the session's history reloaded. */
  settled: boolean;
}

/** The view of a run before its first event. */
export function startView(run: PendingRun): RunView {
  return { ...run, lastEventId: 0, reasoning: '', text: '', tools: [], phase: 'connecting', queuePosition: null, notice: null, settled: false };
}

/** True once the run has ended one way or another. */
export function hasEnded(phase: RunPhase): boolean {
  return phase === 'completed' || phase === 'cancelled' || phase === 'failed' || phase === 'interrupted';
}

/** The view after one more event; a replayed event (id already applied) changes nothing. */
export function applyEvent(view: RunView, id: number, event: StreamEvent): RunView {
  if (id <= view.lastEventId || hasEnded(view.phase)) return view;
  const next: RunView = { ...view, lastEventId: id };
  switch (event.type) {
    case 'run-start':
      return { ...next, runId: event.runId, phase: 'streaming' };
    case 'run-queued':
      return { ...next, phase: 'queued', queuePosition: event.position };
    case 'reasoning-delta':
      return { ...next, phase: 'streaming', reasoning: next.reasoning + event.delta };
    case 'text-delta':
      return { ...next, phase: 'streaming', text: next.text + event.delta };
    case 'tool-call':
      return { ...next, phase: 'streaming', tools: [...next.tools, { callId: event.callId, name: event.name, input: event.input }] };
    case 'tool-result':
      return {
        ...next,
        tools: next.tools.map((tool) => (tool.callId === event.callId ? { ...tool, output: event.output, isError: event.isError } : tool)),
      };
    case 'run-finish':
      return { ...next, phase: 'completed' };
    case 'run-cancel':
      return { ...next, phase: 'cancelled', notice: `Stopped: ${event.reason}` };
    case 'run-error':
      return { ...next, phase: event.code === 'interrupted' ? 'interrupted' : 'failed', notice: `${event.code}: ${event.message}` };
    default:
      // agent-change, message-end: the stored message replaces this view once the history reloads.
      return next;
  }
}
