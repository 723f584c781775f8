import { runEvents, type StreamEvent } from '@threadline/client';
import { followRun } from './answer.js';
import { say, type ChatContext } from './chat-context.js';
import { loadHistory, printHistory, printMessage, printSessionHeader } from './history.js';

/** The statuses of a run that has not ended. */
const ACTIVE = ['queued', 'running', 'waiting'] as const;

/**
 * Enters `session`: its header, its history when it has messages, then the runs of it still going
 * (followActiveRuns).
 */
export async function enterSession(context: ChatContext, session: ChatContext['session']): Promise<void> {
  context.session = session;
  await printSessionHeader(context);
  const messages = session.messageCount > 0 ? await printHistory(context) : [];
  const shown = new Set(messages.flatMap((message) => (message.role === 'user' && message.runId ? [message.runId] : [])));
  await followActiveRuns(context, shown);
}

/**
 * Follows the runs of the current session that are still going (one waiting for approval after the
 * CLI quit at its question, one another client sent), oldest first, as the others queue behind it:
 * each one's events from the first, its approval questions asked, until it ends (followRun). The
 * history holds none of their answers (an answer is stored when its run ends), so nothing is shown
 * twice; nor, for a run that was queued, its message (stored when the run starts): that is shown
 * once it is. `shown`: the runs whose messages the history showed. A second Ctrl-C (stop waiting)
 * leaves the rest alone.
 */
async function followActiveRuns(context: ChatContext, shown: ReadonlySet<string>): Promise<void> {
  const page = await context.client.runs.list.query({ sessionId: context.session.id, status: [...ACTIVE], limit: 20 });
  // Newest first. Those after the first may have ended by the time they are followed: their events still replay.
  for (const [index, run] of [...page.items].reverse().entries()) {
    say(context, `(${index > 0 ? 'another' : 'a'} run of this session is still going: following it)`);
    const events = (signal: AbortSignal) => runEvents(context.client, run.id, { signal });
    const withMessage = (signal: AbortSignal) => withItsMessage(context, run.id, events(signal));
    if (!(await followRun(context, run.id, shown.has(run.id) ? events : withMessage))) return;
  }
}

/** A run's `events`, its message printed before the first one past its queue (when it is stored). */
async function* withItsMessage(context: ChatContext, runId: string, events: AsyncIterable<StreamEvent>): AsyncGenerator<StreamEvent> {
  let printed = false;
  for await (const event of events) {
    if (!printed && event.type !== 'run-start' && event.type !== 'run-queued') {
      printed = true;
      const message = (await loadHistory(context)).findLast((candidate) => candidate.role === 'user' && candidate.runId === runId);
      if (message) printMessage(context, message);
    }
    yield event;
  }
}
