import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ToolCallState } from '@threadline/client';
import { useState } from 'react';
import { useTRPC } from './trpc';

/** Props of ApprovalCard. */
export interface ApprovalCardProps {
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
export function ApprovalCard({ runId, tool }: ApprovalCardProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const approve = useMutation(
    trpc.runs.approve.mutationOptions({
      // The session now allows the tool: its header lists it (see AllowedTools).
      onSuccess: (_output, input) => (input.always ? queryClient.invalidateQueries(trpc.sessions.get.pathFilter()) : undefined),
    }),
  );
  const deny = useMutation(trpc.runs.deny.mutationOptions());
  const [reason, setReason] = useState('');
  // Sent (or on its way): the buttons stay off until the tool-decision event replaces them.
  const sent = [approve, deny].some((mutation) => mutation.isPending || mutation.isSuccess);
  const error = approve.error ?? deny.error;
  const { decision } = tool.approval;

  return (
    <div className={`approval ${decision}`} data-testid="approval" data-call-id={tool.callId} data-decision={decision}>
      <header>
        Run <code>{tool.name}</code>?
      </header>
      <pre data-testid="approval-input">{JSON.stringify(tool.input, null, 2)}</pre>
      {decision === 'pending' ? (
        <div className="approval-actions">
          <button type="button" disabled={sent} onClick={() => approve.mutate({ runId, callIds: [tool.callId] })}>
            Allow
          </button>
          <button
            type="button"
            disabled={sent}
            title={`Run ${tool.name} without asking for the rest of this session`}
            onClick={() => approve.mutate({ runId, callIds: [tool.callId], always: true })}
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
            onClick={() => deny.mutate({ runId, callIds: [tool.callId], ...(reason.trim() ? { reason: reason.trim() } : {}) })}
          >
            Deny
          </button>
        </div>
      ) : (
        <p className="decision" data-testid="approval-decision">
          {decision === 'approved' ? 'Allowed' : `Denied${tool.approval.reason ? `: ${tool.approval.reason}` : ''}`}
        </p>
      )}
      {error && <p className="error">{error.message}</p>}
    </div>
  );
}
