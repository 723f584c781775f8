import { initialAnswerState, reduceAnswer, streamChat, type StreamEvent } from '@threadline/client';
import { answerApproval } from './approval-question.js';
import { complain, say, type ChatContext } from './chat-context.js';
import { describeError } from './errors.js';

/**
 * Sends `content` to the current session and writes the answer as it streams. A tool call that
 * waits for approval is asked about (answerApproval) and the answer goes on. Ctrl-C, during the
 * answer or at such a question, cancels the run on the server (runs.cancel) and the stream ends
 * with its `run-cancel`; a second Ctrl-C stops waiting for that. Either way the user is back at the
 * prompt.
 */
export async function streamAnswer(context: ChatContext, content: string): Promise<void> {
  await follow(context, (signal) => streamChat(context.client, { sessionId: context.session.id, content }, { signal }));
}

/**
 * Writes the answer of a run the CLI did not send (one still going when the session was entered)
 * from its `events`, replayed from the first (runs.events), and follows it as streamAnswer does: the
 * same questions, the same Ctrl-C. A replayed `tool-approval` may have been decided since (its
 * `tool-decision` follows): only calls the run still waits for are asked about. Resolves false when
 * the user stopped waiting (a second Ctrl-C).
 */
export function followRun(context: ChatContext, runId: string, events: (signal: AbortSignal) => AsyncIterable<StreamEvent>): Promise<boolean> {
  return follow(context, events, runId);
}

/**
 * Writes the events of `open` and asks about their approvals; false when the user stopped waiting.
 * `replayedRunId`: the run whose events `open` replays from the first (one the CLI did not send).
 */
async function follow(context: ChatContext, open: (signal: AbortSignal) => AsyncIterable<StreamEvent>, replayedRunId?: string): Promise<boolean> {
  const { client, renderer } = context;
  const controller = new AbortController();
  let answer = initialAnswerState;
  let runId = replayedRunId;
  let cancelling = false;
  const cancel = (id: string) =>
    client.runs.cancel.mutate({ runId: id }).catch((error: unknown) => complain(context, `could not cancel: ${describeError(error, context.connection)}`));
  const interrupt = () => {
    if (cancelling) return controller.abort();
    cancelling = true;
    say(context, 'cancelling… (Ctrl-C again to stop waiting)');
    if (runId) void cancel(runId);
  };
  const release = context.interrupts.push(interrupt);
  try {
    for await (const event of open(controller.signal)) {
      answer = reduceAnswer(answer, event);
      if (!runId && answer.runId) {
        runId = answer.runId;
        if (cancelling) void cancel(runId);
      }
      renderer.event(event, answer);
      if (event.type === 'tool-approval' && runId && !cancelling) {
        if (replayedRunId && !(await isPending(context, runId, event.callId))) continue;
        const decided = await answerApproval(context, runId, event);
        if (!decided) interrupt();
      }
    }
  } catch (error) {
    if (controller.signal.aborted) say(context, '(stopped waiting; the server may still finish the answer)');
    else complain(context, describeError(error, context.connection));
  } finally {
    release();
    renderer.end();
  }
  return !controller.signal.aborted;
}

/**
 * Whether the run still waits for a decision about `callId`: its record lists the call as pending (if
 * the record cannot be read: yes, ask). A replayed call may have been decided since. The record of a
 * run that has just paused may lag its `tool-approval` by a moment (the pause is announced, then
 * stored): while it says `running` and does not name the call, it is read again for a while.
 */
async function isPending(context: ChatContext, runId: string, callId: string): Promise<boolean> {
  try {
    for (let delayMs = 50; ; delayMs *= 2) {
      const run = await context.client.runs.get.query({ runId });
      const approval = run.approvals.find((candidate) => candidate.callId === callId);
      if (approval || run.status !== 'running' || delayMs > 400) return approval?.decision === 'pending';
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  } catch {
    return true;
  }
}

/**
 * Sends `content` with chat.send and writes the answer once it is complete (`/stream off`). When the
 * run waits for approval, what it has so far is written, each waiting call is asked about, and
 * chat.send with the same requestId waits for the rest. Ctrl-C re-attaches to the run through
 * chat.stream with that requestId, which names the run, and cancels it; chat.send then returns the
 * cancelled answer.
 */
export async function waitForAnswer(context: ChatContext, content: string): Promise<void> {
  const { client, renderer } = context;
  const input = { sessionId: context.session.id, content, requestId: crypto.randomUUID() };
  const controller = new AbortController();
  let cancelling = false;
  const startCancelling = () => {
    cancelling = true;
    say(context, 'cancelling… (Ctrl-C again to stop waiting)');
  };
  const release = context.interrupts.push(() => {
    if (cancelling) return controller.abort();
    startCancelling();
    void cancelByRequest(context, input, controller.signal);
  });
  try {
    let result = await client.chat.send.mutate(input, { signal: controller.signal });
    let shown = 0;
    while (result.status === 'waiting') {
      renderer.assistant(result.message, shown);
      shown = result.message.parts.length;
      for (const approval of result.approvals.filter((candidate) => candidate.decision === 'pending')) {
        renderer.event({ type: 'tool-approval', callId: approval.callId, name: approval.name, input: approval.input });
        if (cancelling || (await answerApproval(context, result.runId, approval))) continue;
        startCancelling();
        try {
          await client.runs.cancel.mutate({ runId: result.runId });
        } catch (error) {
          return complain(context, `could not cancel: ${describeError(error, context.connection)}`);
        }
      }
      result = await client.chat.send.mutate(input, { signal: controller.signal });
    }
    if (result.message) renderer.assistant(result.message, shown);
    else if (result.status === 'cancelled') renderer.event({ type: 'run-cancel', reason: 'cancelled' });
    if (result.error) renderer.event({ type: 'run-error', ...result.error });
  } catch (error) {
    if (controller.signal.aborted) say(context, '(stopped waiting; the server may still finish the answer)');
    else complain(context, describeError(error, context.connection));
  } finally {
    release();
    renderer.end();
  }
}

/** Finds the run of `input.requestId` (its run-start) and cancels it. */
async function cancelByRequest(context: ChatContext, input: { sessionId: string; content: string; requestId: string }, signal: AbortSignal): Promise<void> {
  const attach = new AbortController();
  signal.addEventListener('abort', () => attach.abort(), { once: true });
  try {
    for await (const event of streamChat(context.client, input, { signal: attach.signal })) {
      if (event.type === 'run-start') {
        await context.client.runs.cancel.mutate({ runId: event.runId });
        break;
      }
    }
  } catch (error) {
    if (!attach.signal.aborted) complain(context, `could not cancel: ${describeError(error, context.connection)}`);
  } finally {
    attach.abort();
  }
}
