import { z } from 'zod';
import { RunError } from './errors.js';
import { Cursor, Id, RequestId } from './ids.js';
import { limits } from './limits.js';
import { Usage } from './message.js';
import { isStorableText, storableTextMessage } from './session.js';

/**
 * queued → running → completed | failed | cancelled | interrupted; a running run whose model calls
 * a tool that needs approval is `waiting` until every such call is approved or denied, then
 * running again.
 */
export const RunStatus = z.enum(['queued', 'running', 'waiting', 'completed', 'failed', 'cancelled', 'interrupted']);
export type RunStatus = z.infer<typeof RunStatus>;

/** Statuses a run never leaves. */
export const terminalRunStatuses: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'interrupted'];

/** Why the model stopped, one union over every provider; unknown provider values map to `other`. */
export const FinishReason = z.enum(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']);
export type FinishReason = z.infer<typeof FinishReason>;

/** A tool call that needs the user's approval, and what was decided so far. */
export const ToolApproval = z.object({
  callId: z.string(),
  name: z.string(),
  input: z.unknown(),
  decision: z.enum(['pending', 'approved', 'denied']),
  /** Why it was denied, when the user said (the model sees it). */
  reason: z.string().nullable(),
});
export type ToolApproval = z.infer<typeof ToolApproval>;

/** The record of one run (one answer to one user message). */
export const Run = z.object({
  id: Id,
  sessionId: Id.nullable(),
  requestId: z.string().nullable(),
  status: RunStatus,
  agent: z.string(),
  model: z.string(),
  /** Admission priority, 1 (first) .. 10. */
  priority: z.number().int(),
  usage: Usage.nullable(),
  finishReason: FinishReason.nullable(),
  error: RunError.nullable(),
  queuedAt: z.date(),
  startedAt: z.date().nullable(),
  firstTokenAt: z.date().nullable(),
  endedAt: z.date().nullable(),
  /** While `waiting`: the calls it waits for (and those already decided); empty otherwise. */
  approvals: z.array(ToolApproval),
  /** While `waiting`: when the calls still undecided will be denied (THREADLINE_APPROVAL_TIMEOUT_MS); null otherwise or never. */
  approvalsExpireAt: z.date().nullable(),
});
export type Run = z.infer<typeof Run>;

export const RunIdInput = z.strictObject({ runId: Id });
export type RunIdInput = z.infer<typeof RunIdInput>;

/**
 * The run to cancel: by its id, or by the `requestId` of the send that starts it, so that a stop
 * sent before the client knows the run's id still stops it (or, when no run has that requestId yet,
 * the run it will start: that send then answers with a run already cancelled).
 */
export const RunCancelInput = z.union([RunIdInput, z.strictObject({ requestId: RequestId })]);
export type RunCancelInput = z.infer<typeof RunCancelInput>;

/** An event id as given by `tracked()`: the event's sequence number in its run, from 1. */
export const EventId = z.string().regex(/^\d{1,12}$/, 'event ids are decimal sequence numbers');

export const RunEventsInput = z.strictObject({
  runId: Id,
  /** Resume after this event (tRPC sets it on reconnect). */
  lastEventId: EventId.nullish(),
});
export type RunEventsInput = z.infer<typeof RunEventsInput>;

export const RunListInput = z
  .strictObject({
    /** Only the runs of this session. */
    sessionId: Id.optional(),
    /** Only runs in these statuses, e.g. the active ones: queued, running, waiting. */
    status: z.array(RunStatus).min(1).max(RunStatus.options.length).optional(),
    cursor: Cursor.optional(),
    limit: z.number().int().min(1).max(limits.pageSize).optional(),
  })
  .optional();
export type RunListInput = z.infer<typeof RunListInput>;

/** Runs, newest first. */
export const RunPage = z.object({ items: z.array(Run), nextCursor: Cursor.nullable() });
export type RunPage = z.infer<typeof RunPage>;

const CallIds = z.array(z.string().min(1).max(200)).min(1).max(64);

export const RunApproveInput = z.strictObject({
  runId: Id,
  /** The calls to approve; every pending call when omitted. */
  callIds: CallIds.optional(),
  /** Also allow these calls' tools for the rest of the run and, in a session, for the whole session (`Session.allowedTools`). */
  always: z.boolean().optional(),
});
export type RunApproveInput = z.infer<typeof RunApproveInput>;

export const RunDenyInput = z.strictObject({
  runId: Id,
  /** The calls to deny; every pending call when omitted. */
  callIds: CallIds.optional(),
  /** Told to the model as the tool's error, e.g. "do not delete files". */
  reason: z.string().min(1).max(1000).refine(isStorableText, storableTextMessage).optional(),
});
export type RunDenyInput = z.infer<typeof RunDenyInput>;
