import { describeCall, type ApprovalAnswer, type PendingCall } from '../approvals.js';
import type { ApprovalDecision, Turn } from './scenario-schema.js';

/** What a call with no decision in the scenario is denied with (the model is told it). */
const UNDECIDED_REASON = 'the scenario gives no decision for this call';

/**
 * Answers a turn's tool calls that wait for approval as its `approvals` say: one decision answers
 * every call, a list answers the calls in the order they are asked. A call with no decision is denied
 * (so the run ends instead of waiting for good) and is a problem of the turn; so is a list that the
 * run did not use up.
 */
export class ApprovalScript {
  private asked = 0;

  constructor(private readonly approvals: Turn['approvals']) {}

  /** The answer to the next call asked, and the problem when the turn has no decision for it. */
  next(call: PendingCall): { answer: ApprovalAnswer; problem?: string } {
    this.asked++;
    const decision = Array.isArray(this.approvals) ? this.approvals[this.asked - 1] : this.approvals;
    if (decision) return { answer: toAnswer(decision) };
    const why = Array.isArray(this.approvals)
      ? `(call ${this.asked}) but approvals: lists ${plural(this.approvals.length, 'decision')}`
      : 'but the turn gives no decision (approvals:)';
    return { answer: { approved: false, reason: UNDECIDED_REASON }, problem: `${describeCall(call)} waited for approval ${why}; it was denied` };
  }

  /** A problem when a list of decisions was not used up, else undefined. */
  unused(): string | undefined {
    if (!Array.isArray(this.approvals) || this.asked >= this.approvals.length) return undefined;
    return `approvals: lists ${plural(this.approvals.length, 'decision')}, but ${plural(this.asked, 'call')} waited for approval`;
  }
}

function toAnswer(decision: ApprovalDecision): ApprovalAnswer {
  if (decision === 'allow') return { approved: true };
  if (decision === 'always') return { approved: true, always: true };
  if (decision === 'deny') return { approved: false };
  return { approved: false, reason: decision.deny };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
