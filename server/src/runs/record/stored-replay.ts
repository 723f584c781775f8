import type { ChatSendOutput, StreamEvent } from '@threadline/shared';
import type { LoggedEvent } from '../../events/index.js';
import type { StoredRun } from '../../store/runs.js';
import { terminalEvent } from './run-ending.js';

/**
 * The events of an ended run whose live log is gone (expired, or from before a restart), rebuilt
 * from the store: `run-start` (for a reader that saw nothing yet), `message-end` when a message was
 * kept, and the terminal event. A reader resuming after event N (say, across a crash) gets ids
 * N+1, N+2: whatever it missed ends with the stored message and exactly one terminal event.
 */
export async function* replayStoredRun(outcome: ChatSendOutput, run: StoredRun, afterId: number): AsyncIterable<LoggedEvent> {
  const events: StreamEvent[] = [];
  if (afterId === 0) {
    events.push({ type: 'run-start', runId: run.id, sessionId: run.sessionId, sessionCreated: false, agent: run.agent, model: run.model });
  }
  if (outcome.message.content || outcome.message.parts.length > 0) events.push({ type: 'message-end', message: outcome.message });
  const durationMs = run.endedAt && run.startedAt ? run.endedAt.getTime() - run.startedAt.getTime() : 0;
  events.push(terminalEvent({ status: outcome.status, usage: outcome.usage, finishReason: run.finishReason, error: outcome.error, cancelReason: run.cancelReason, durationMs }));
  for (const [index, event] of events.entries()) yield { id: afterId + index + 1, event };
}
