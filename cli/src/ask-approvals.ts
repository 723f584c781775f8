import { askOnTerminal, describeCall, type ApprovalAnswer, type PendingCall } from './approvals.js';

/** What `ask` was told about tool calls that wait for approval. */
export interface AskApprovalOptions {
  /** Allow every call (--approve). */
  approve?: boolean;
  /** Deny every call (--deny). */
  deny?: boolean;
  /** Deny every call and tell the model why (--deny-reason). */
  denyReason?: string;
}

/** Decides about one call; undefined when the user cancelled the question (Ctrl-C). */
export type ApprovalDecider = (call: PendingCall, signal: AbortSignal) => Promise<ApprovalAnswer | undefined>;

/**
 * How `ask` answers a call that waits for approval: --approve allows it, --deny or --deny-reason
 * denies it. Without either, the question goes to the terminal (on stderr, stdout is the answer's),
 * when there is one to ask at; otherwise the call is denied, the model is told that nobody could be
 * asked, and a note on stderr says how to decide next time.
 */
export function approvalDecider(options: AskApprovalOptions, messageFromStdin: boolean): ApprovalDecider {
  if (options.approve) return async () => ({ approved: true });
  if (options.deny || options.denyReason) return async () => ({ approved: false, reason: options.denyReason });
  const unaskable = whyNotAsk(messageFromStdin);
  if (!unaskable) {
    return (call, signal) => askOnTerminal({ message: `Allow ${describeCall(call)}?`, input: process.stdin, output: process.stderr, signal });
  }
  return async (call) => {
    process.stderr.write(`threadline: denied ${describeCall(call)}: it needs approval and ${unaskable}; pass --approve or --deny\n`);
    return { approved: false, reason: `nobody could be asked (threadline ask: ${unaskable})` };
  };
}

/** Why `ask` cannot put a question to the user, or undefined when it can. */
function whyNotAsk(messageFromStdin: boolean): string | undefined {
  if (!process.stdin.isTTY) return 'stdin is not a terminal';
  if (!process.stderr.isTTY) return 'stderr is not a terminal';
  if (messageFromStdin) return 'stdin held the message';
  return undefined;
}
