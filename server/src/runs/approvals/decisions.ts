import type { ToolApproval } from '@threadline/shared';
import { conflict, invalid } from '../../errors.js';

/** What the user decided about some of a run's waiting calls. */
export interface ApprovalDecision {
  approved: boolean;
  /** The calls decided; every pending call when omitted. */
  callIds?: string[];
  reason?: string;
  /** With an approval: allow these calls' tools from now on (the rest of the run, and the session). */
  always?: boolean;
}

/**
 * Applies a decision to a pause's approvals in place; returns the approvals it changed. A call id
 * that is not waiting in this run is a bad request; deciding a call again the same way changes
 * nothing, the other way is a conflict.
 */
export function applyDecision(approvals: ToolApproval[], decision: ApprovalDecision): ToolApproval[] {
  const ids = decision.callIds ?? approvals.filter((approval) => approval.decision === 'pending').map((approval) => approval.callId);
  const decided = decision.approved ? 'approved' : 'denied';
  const targets = ids.map((callId) => {
    const approval = approvals.find((candidate) => candidate.callId === callId);
    if (!approval) throw invalid(`call ${callId} is not waiting for approval in this run`);
    if (approval.decision !== 'pending' && approval.decision !== decided) throw conflict(`call ${callId} was already ${approval.decision}`);
    return approval;
  });
  const changed = targets.filter((approval) => approval.decision === 'pending');
  for (const approval of changed) {
    approval.decision = decided;
    approval.reason = decision.approved ? null : (decision.reason ?? null);
  }
  return changed;
}

export const isPending = (approval: ToolApproval) => approval.decision === 'pending';

/** The names of the tools a decision covers (its calls, or every pending one). */
export function toolsDecided(approvals: ToolApproval[], decision: ApprovalDecision): string[] {
  const covered = approvals.filter((approval) => (decision.callIds ? decision.callIds.includes(approval.callId) : isPending(approval)));
  return [...new Set(covered.map((approval) => approval.name))];
}
