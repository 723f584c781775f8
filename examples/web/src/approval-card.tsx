import type { ToolCallState } from '@threadline/client';
import type { UseChatResult } from '@threadline/react';
import { useState } from 'react';

/** Props of ApprovalCard: the waiting call, and useChat's approve and deny. */
export interface ApprovalCardProps extends Pick<UseChatResult, 'approve' | 'deny'> {
  /** The run that waits. */
  runId: string;
  tool: ToolCallState & { approval: NonNullable<ToolCallState['approval']> };
}

/**
 * A tool call that needs the user's approval: its name and input, then Allow, Always allow (this
 * tool, for the rest of the session) and Deny (with an optional reason) while it waits. The
 * decision shown is the one the stream reports (`tool-decision`), so a reload, or a decision made
 * elsewhere, shows the same.
 */
export function ApprovalCard({ runId, tool, approve, deny }: ApprovalCardProps) {
  const [reason, setReason] = useState('');
  // Sent (or on its way): the buttons stay off until the tool-decision event replaces them; a
  // refused decision (useChat's error says why) turns them on again.
  const [sent, setSent] = useState(false);
  const decide = (decision: Promise<boolean>) => {
    setSent(true);
    void decision.then((accepted) => accepted || setSent(false));
  };
  const { decision } = tool.approval;

  return (
    <div className={`approval ${decision}`} data-testid="approval" data-call-id={tool.callId} data-decision={decision}>
      <header>
        Run <code>{tool.name}</code>?
      </header>
      <pre data-testid="approval-input">{JSON.stringify(tool.input, null, 2)}</pre>
      {decision === 'pending' ? (
        <div className="approval-actions">
          <button type="button" disabled={sent} onClick={() => decide(approve(runId, { callIds: [tool.callId] }))}>
            Allow
          </button>
          <button
            type="button"
            disabled={sent}
            title={`Run ${tool.name} without asking for the rest of this session`}
            onClick={() => decide(approve(runId, { callIds: [tool.callId], always: true }))}
          >
            Always allow
          </button>
          <input
            aria-label="Reason to deny"
            placeholder="Reason (optional)"
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            maxLength={1000}
            disabled={sent}
          />
          <button
            type="button"
            disabled={sent}
            onClick={() => decide(deny(runId, { callIds: [tool.callId], ...(reason.trim() ? { reason: reason.trim() } : {}) }))}
          >
            Deny
          </button>
        </div>
      ) : (
        <p className="decision" data-testid="approval-decision">
          {decision === 'approved' ? 'Allowed' : `Denied${tool.approval.reason ? `: ${tool.approval.reason}` : ''}`}
        </p>
      )}
    </div>
  );
}
