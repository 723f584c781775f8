import type { PendingRun } from './storage';
import type { StreamEvent } from './trpc';

/** Where a streamed answer stands: `waiting` for the user to approve tool calls. The last four are ends. */
export type RunPhase = 'connecting' | 'queued' | 'streaming' | 'waiting' | 'completed' | 'cancelled' | 'failed' | 'interrupted';

/** The user's say on a tool call that needs approval: `pending` until runs.approve or runs.deny. */
export interface ToolApproval {
  decision: 'pending' | 'approved' | 'denied';
  /** Why it was denied, when the user said. */
  reason: string | null;
}

/** A tool call seen in the stream, with its result once it came. */
export interface ToolActivity {
  callId: string;
  name: string;
  input: unknown;
  output?: unknown;
  isError?: boolean;
  /** Set when the call needs (or needed) approval: stored messages keep the decision. */
  approval?: ToolApproval;
}

/** A run another tab or device started, joined by its id: `runs.events` replays it from its first event. */
export interface JoinedRun {
  requestId: null;
  sessionId: string;
  /** Not known here: the session's history holds the user's message. */
  content: null;
  runId: string;
}

/** The run a view follows: one this page sent (followed by its requestId), or one it joined. */
export type FollowedRun = PendingRun | JoinedRun;

/** What the page shows of the answer being streamed, built from its events in order. */
export type RunView = FollowedRun & {
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
};

/** The view of a run before its first event. */
export function startView(run: FollowedRun): RunView {
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
      return { ...next, tools: updateTool(next.tools, event.callId, { output: event.output, isError: event.isError }) };
    case 'tool-approval':
      return { ...next, phase: 'waiting', tools: updateTool(next.tools, event.callId, { approval: { decision: 'pending', reason: null } }) };
    case 'tool-decision': {
      const approval: ToolApproval = { decision: event.approved ? 'approved' : 'denied', reason: event.reason };
      const tools = updateTool(next.tools, event.callId, { approval });
      // The run goes on once no call waits any more.
      return { ...next, tools, phase: tools.some((tool) => tool.approval?.decision === 'pending') ? 'waiting' : 'streaming' };
    }
    case 'run-finish':
      return { ...next, phase: 'completed' };
    case 'run-cancel':
      return { ...next, phase: 'cancelled', notice: `Stopped: ${event.reason}` };
    case 'run-error':
      return { ...next, phase: event.code === 'interrupted' ? 'interrupted' : 'failed', notice: `${event.code}: ${event.message}` };
    case 'agent-change':
    case 'message-end':
      // The stored message replaces this view once the history reloads.
      return next;
    default:
      // A new event type fails to compile here until it is handled above; at run time (a newer
      // server) it changes nothing.
      event satisfies never;
      return next;
  }
}

/** The tools with `change` applied to the call `callId`. */
function updateTool(tools: ToolActivity[], callId: string, change: Partial<ToolActivity>): ToolActivity[] {
  return tools.map((tool) => (tool.callId === callId ? { ...tool, ...change } : tool));
}
