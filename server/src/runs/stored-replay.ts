import type { StreamEvent } from '@threadline/shared';
import type { RunRow } from '../store/database.js';
import type { RunOutcome } from './engine.js';
import type { LoggedEvent } from './event-log.js';
import { interruptedError } from './run-errors.js';

/**
 * The events of an ended run whose live log is gone (expired, or from before a restart), rebuilt
 * from the store: `run-start` (for a reader that saw nothing yet), `message-end` when a message was
 * kept, and the terminal event. A reader resuming after event N (say, across a crash) gets ids
 * N+1, N+2: whatever it missed ends with the stored message and exactly one terminal event.
 */
export async function* replayStoredRun(outcome: RunOutcome, row: RunRow, afterId: number): AsyncIterable<LoggedEvent> {
  const events: StreamEvent[] = [];
  if (afterId === 0) {
    events.push({ type: 'run-start', runId: row.id, sessionId: row.session_id, sessionCreated: false, agent: row.agent, model: row.model });
  }
  if (outcome.message.content || outcome.message.parts.length > 0) events.push({ type: 'message-end', message: outcome.message });
  events.push(terminalEvent(outcome, row));
  for (const [index, event] of events.entries()) yield { id: afterId + index + 1, event };
}

function terminalEvent(outcome: RunOutcome, row: RunRow): StreamEvent {
  const durationMs = row.ended_at !== null && row.started_at !== null ? row.ended_at - row.started_at : 0;
  switch (outcome.status) {
    case 'completed':
      return { type: 'run-finish', usage: outcome.usage, finishReason: (row.finish_reason as never) ?? 'other', durationMs };
    case 'cancelled':
      return { type: 'run-cancel', reason: 'cancelled' };
    default:
      return { type: 'run-error', ...(outcome.error ?? interruptedError) };
  }
}
