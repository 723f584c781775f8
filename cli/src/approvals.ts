import * as prompts from '@clack/prompts';
import type { StreamEventOf, ThreadlineClient } from '@threadline/client';
import { compact } from './render.js';

/** A tool call waiting for the user's approval, as its `tool-approval` event names it. */
export type PendingCall = Omit<StreamEventOf<'tool-approval'>, 'type'>;

/**
 * What the user decided about one call: allow it (`always`: and its tool without asking for the rest
 * of the run and of the session), or deny it (the model is told `reason`).
 */
export type ApprovalAnswer = { approved: true; always?: boolean } | { approved: false; reason?: string | undefined };

/** `calculator({"expression":"6 * 7"})`: a call as one line. */
export function describeCall(call: Pick<PendingCall, 'name' | 'input'>): string {
  return `${call.name}(${compact(call.input)})`;
}

/** Sends the answer about one call (runs.approve, with `always` when given, or runs.deny for that call alone). */
export async function sendDecision(client: ThreadlineClient, runId: string, callId: string, answer: ApprovalAnswer): Promise<void> {
  if (answer.approved) await client.runs.approve.mutate({ runId, callIds: [callId], ...(answer.always ? { always: true } : {}) });
  else await client.runs.deny.mutate({ runId, callIds: [callId], ...(answer.reason ? { reason: answer.reason } : {}) });
}

/** Where a terminal question reads and writes, and what stops it. */
export interface TerminalQuestion {
  /** The question, e.g. `Allow calculator?`. */
  message: string;
  /** Where the keys come from (default stdin). */
  input?: NodeJS.ReadableStream;
  /** Where the question is drawn (default stdout; `ask` keeps stdout for the answer and uses stderr). */
  output?: NodeJS.WritableStream;
  /** Aborting it (SIGINT while asking) closes the question as Ctrl-C at it does. */
  signal?: AbortSignal;
  /** Offer "Allow always in this session" too (the interactive client, which always has a session). */
  offerAlways?: boolean;
}

/**
 * Asks at a terminal with @clack/prompts: allow (or allow always, when offered), deny, or deny and
 * say why. Resolves undefined when the user cancels the question (Ctrl-C or Escape, or `signal`):
 * the caller cancels the run then.
 */
export async function askOnTerminal(question: TerminalQuestion): Promise<ApprovalAnswer | undefined> {
  const common = {
    ...(question.input ? { input: question.input as NodeJS.ReadStream } : {}),
    ...(question.output ? { output: question.output as NodeJS.WriteStream } : {}),
    ...(question.signal ? { signal: question.signal } : {}),
  };
  const choice = await prompts.select<'allow' | 'always' | 'deny' | 'reason'>({
    ...common,
    message: question.message,
    options: [
      { value: 'allow', label: 'Allow' },
      ...(question.offerAlways ? [{ value: 'always' as const, label: 'Allow always in this session' }] : []),
      { value: 'deny', label: 'Deny' },
      { value: 'reason', label: 'Deny, and say why…' },
    ],
  });
  if (prompts.isCancel(choice)) return undefined;
  if (choice === 'allow') return { approved: true };
  if (choice === 'always') return { approved: true, always: true };
  if (choice === 'deny') return { approved: false };
  const reason = await prompts.text({ ...common, message: 'Why not? (the model is told)', placeholder: 'Enter to deny without a reason' });
  if (prompts.isCancel(reason)) return undefined;
  return { approved: false, reason: reason?.trim().slice(0, 1000) || undefined };
}
