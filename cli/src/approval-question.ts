import { askOnTerminal, describeCall, sendDecision, type ApprovalAnswer, type PendingCall } from './approvals.js';
import { complain, say, type ChatContext } from './chat-context.js';
import { describeError } from './errors.js';

/** The answers a piped question takes. */
const ANSWERS = 'y = allow, a = allow always in this session, n [REASON] = deny';

/**
 * Asks the user about one call waiting for approval and sends the decision: a @clack/prompts
 * question at a terminal, a line (`y`, `a`, or `n REASON`) from a pipe. "Always" also allows the
 * tool for the rest of the session (/allowed lists such tools). Resolves false when the user
 * cancelled instead (Ctrl-C or Escape at the question, end of input): the caller then cancels the
 * run, as Ctrl-C during an answer does.
 */
export async function answerApproval(context: ChatContext, runId: string, call: PendingCall): Promise<boolean> {
  const controller = new AbortController();
  // SIGINT while asking (a terminal in raw mode sends Ctrl-C as a key instead, which clack sees).
  const release = context.interrupts.push(() => {
    controller.abort();
    context.input.interrupt();
  });
  let answer: ApprovalAnswer | undefined;
  try {
    answer = context.input.terminal
      ? await askOnTerminal({ message: `Allow ${call.name}?`, output: context.output, signal: controller.signal, offerAlways: true })
      : await askByLine(context, call);
  } finally {
    release();
  }
  if (!answer) return false;
  try {
    await sendDecision(context.client, runId, call.callId, answer);
    if (answer.approved && answer.always) say(context, `${call.name} is allowed in this session without asking (/allowed clear takes it back)`);
  } catch (error) {
    const verb = answer.approved ? 'allow' : 'deny';
    complain(context, `could not ${verb} ${call.name}: ${describeError(error, context.connection)} (Ctrl-C cancels the run)`);
  }
  return true;
}

/** From a pipe: reads lines until one is `y`, `a` or `n [REASON]`; undefined at the end of input. */
async function askByLine(context: ChatContext, call: PendingCall): Promise<ApprovalAnswer | undefined> {
  say(context, `allow ${describeCall(call)}? ${ANSWERS}`);
  for (;;) {
    const line = await context.input.read('allow? ');
    if (line === undefined) return undefined;
    const answer = line.trim();
    if (/^(y|yes|allow)$/i.test(answer)) return { approved: true };
    if (/^(a|always)$/i.test(answer)) return { approved: true, always: true };
    const denial = /^(?:n|no|deny)(?:\s+([\s\S]+))?$/i.exec(answer);
    if (denial) return { approved: false, reason: denial[1]?.trim().slice(0, 1000) };
    complain(context, `"${answer}" is not an answer here: ${ANSWERS}`);
  }
}
