import { isTerminalEvent, type StreamEvent, type ThreadlineClient } from '@threadline/client';

/** Every event of a run as the server logged it (runs.events from the start), with the event ids. */
export function readRunLog(client: ThreadlineClient, runId: string, signal: AbortSignal): Promise<{ id: string; data: StreamEvent }[]> {
  return new Promise((resolve, reject) => {
    const events: { id: string; data: StreamEvent }[] = [];
    let done = false;
    // Unsubscribing calls onComplete at once, so settle first and only once.
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      if (error === undefined) resolve(events);
      else reject(error);
      signal.removeEventListener('abort', onAbort);
      subscription.unsubscribe();
    };
    const onAbort = () => finish(new Error('timed out reading the run log'));
    const subscription = client.runs.events.subscribe(
      { runId },
      {
        onData(event) {
          events.push(event);
          if (isTerminalEvent(event.data)) finish();
        },
        onError: finish,
        onComplete: () => finish(new Error(`the run log ended after ${events.length} events without a terminal event`)),
      },
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Compares what a resumed stream delivered with the run's log on the server: the same events, in
 * the same order, none missing or repeated; and the log's own ids run 1, 2, 3… without a gap.
 * Returns the problems found (empty when the answer is complete and gap-free).
 */
export function compareWithLog(received: StreamEvent[], log: { id: string; data: StreamEvent }[]): string[] {
  const problems: string[] = [];
  const gap = log.findIndex((event, index) => Number(event.id) !== index + 1);
  if (gap !== -1) problems.push(`the server's log skips from event ${gap} to event ${log[gap]!.id}`);
  const length = Math.max(received.length, log.length);
  for (let index = 0; index < length; index++) {
    const got = received[index];
    const logged = log[index]?.data;
    if (JSON.stringify(got) === JSON.stringify(logged)) continue;
    if (!got) problems.push(`the resumed stream stopped after ${received.length} of the run's ${log.length} events`);
    else if (!logged) problems.push(`the resumed stream delivered ${received.length} events, the run has ${log.length}`);
    else problems.push(`event ${index + 1} differs after resuming: got ${summarize(got)}, the run logged ${summarize(logged)}`);
    break;
  }
  const text = received.map((event) => (event.type === 'text-delta' ? event.delta : '')).join('');
  const message = received.find((event) => event.type === 'message-end')?.message;
  if (message && message.content !== text) problems.push('the streamed text differs from the stored message');
  return problems;
}

function summarize(event: StreamEvent): string {
  const detail = event.type === 'text-delta' || event.type === 'reasoning-delta' ? ` ${JSON.stringify(event.delta)}` : '';
  return `${event.type}${detail}`;
}
