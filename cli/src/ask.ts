import { text } from 'node:stream/consumers';
import { initialAnswerState, reduceAnswer, streamChat, type StreamChatInput } from '@threadline/client';
import { sendDecision } from './approvals.js';
import { approvalDecider, type ApprovalDecider, type AskApprovalOptions } from './ask-approvals.js';
import { resolveConnection, type Connection, type ConnectionOptions } from './connection.js';
import { describeError, describeRunError } from './errors.js';
import { Interrupts } from './interrupts.js';

/** Options of `threadline ask`. */
export interface AskOptions extends ConnectionOptions, AskApprovalOptions {
  /** Continue this session; without it (and without `newSession`) the run is stateless. */
  session?: string;
  /** Create a session for this question (its id goes to stderr, to continue it with --session). */
  newSession?: boolean;
  model?: string;
  agent?: string;
}

/** Exit codes of `ask`. */
const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/**
 * `threadline ask`: sends one message (the words, or stdin when there are none) and writes the
 * answer's text, and nothing else, to stdout as it streams. A tool call that waits for approval is
 * decided by --approve / --deny, else asked about at the terminal, else denied (approvalDecider).
 * Errors go to stderr with a non-zero exit code: 1 when the request or the run fails, 2 without a
 * message, 130 after Ctrl-C (which cancels the run, also at an approval question).
 */
export async function runAsk(words: string[], options: AskOptions): Promise<number> {
  const fail = (message: string, code: number = EXIT.failed) => (process.stderr.write(`threadline: ${message}\n`), code);
  if (words.length === 0 && process.stdin.isTTY) process.stderr.write('(type the message, then Ctrl-D)\n');
  const content = (words.length > 0 ? words.join(' ') : await text(process.stdin)).trim();
  if (!content) return fail('no message: give it as words (threadline ask "…") or on stdin', EXIT.usage);

  let connection: Connection | undefined;
  try {
    connection = await resolveConnection(options);
    // Fails fast, with one clear line, on a bad token or a server that is not there.
    await connection.client.models.list.query();
  } catch (error) {
    return fail(describeError(error, connection));
  }

  const input: StreamChatInput = {
    content,
    ...(options.session ? { sessionId: options.session } : options.newSession ? { newSession: true } : {}),
    ...(options.model ? { model: options.model } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
  };
  return answer(connection, input, approvalDecider(options, words.length === 0));
}

/** Streams the answer's text to stdout, deciding approvals with `decide`; reports how it ended. */
async function answer(connection: Connection, input: StreamChatInput, decide: ApprovalDecider): Promise<number> {
  const controller = new AbortController();
  let answer = initialAnswerState;
  let stop: 'interrupted' | 'pipe-closed' | undefined;
  /** Closes an approval question that is open. */
  let asking: AbortController | undefined;
  const cancel = () => {
    const { runId } = answer;
    return runId ? connection.client.runs.cancel.mutate({ runId }).catch(() => undefined) : undefined;
  };
  const interrupt = () => {
    asking?.abort();
    if (stop) return controller.abort();
    stop = 'interrupted';
    void cancel();
  };
  const interrupts = new Interrupts(() => {});
  interrupts.push(interrupt);
  // `… | head -1` closes the pipe early: cancel the run and end quietly.
  const onOutputError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stop = 'pipe-closed';
    void cancel();
    controller.abort();
  };
  process.stdout.on('error', onOutputError);
  let lastText = '';
  let queuedNoted = false;
  try {
    for await (const event of streamChat(connection.client, input, { signal: controller.signal })) {
      answer = reduceAnswer(answer, event);
      const { runId } = answer;
      if (event.type === 'run-start') {
        if (event.sessionCreated) process.stderr.write(`session ${event.sessionId}\n`);
        if (stop) void cancel();
      } else if (event.type === 'run-queued' && !queuedNoted && input.sessionId) {
        // Behind another run of the session (which may wait for an approval nobody gives here): say so once.
        queuedNoted = true;
        process.stderr.write(
          `threadline: waiting for my turn: another run of session ${input.sessionId} goes first, or the provider is busy (a run waiting for approval is answered in threadline chat --session ${input.sessionId})\n`,
        );
      } else if (event.type === 'text-delta' && stop !== 'pipe-closed') {
        process.stdout.write(event.delta);
        if (event.delta) lastText = event.delta;
      } else if (event.type === 'tool-approval' && runId && !stop) {
        asking = new AbortController();
        const decision = await decide(event, asking.signal);
        asking = undefined;
        if (!decision) interrupt();
        else {
          await sendDecision(connection.client, runId, event.callId, decision).catch((error: unknown) => {
            // The run would wait for good: cancel it (its run-cancel ends the answer with 1).
            process.stderr.write(`threadline: could not ${decision.approved ? 'allow' : 'deny'} ${event.name}: ${describeError(error, connection)}\n`);
            void cancel();
          });
        }
      } else if (event.type === 'run-error' || event.type === 'run-cancel') {
        if (lastText && !lastText.endsWith('\n')) process.stdout.write('\n');
        lastText = '';
        if (event.type === 'run-cancel') return stop === 'interrupted' ? EXIT.interrupted : reportCancel();
        process.stderr.write(`threadline: ${describeRunError(event)}\n`);
        return EXIT.failed;
      }
    }
    if (lastText && !lastText.endsWith('\n')) process.stdout.write('\n');
    return EXIT.ok;
  } catch (error) {
    if (stop === 'pipe-closed') return EXIT.ok;
    if (stop === 'interrupted') return EXIT.interrupted;
    process.stderr.write(`threadline: ${describeError(error, connection)}\n`);
    return EXIT.failed;
  } finally {
    interrupts[Symbol.dispose]();
    process.stdout.off('error', onOutputError);
  }
}

function reportCancel(): number {
  process.stderr.write('threadline: the run was cancelled\n');
  return EXIT.failed;
}
