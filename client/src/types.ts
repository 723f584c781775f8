import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type * as shared from '@threadline/shared';
import type { AppRouter } from '@threadline/server';

export type { AppRouter };
/** Every procedure's input, e.g. `RouterInputs['chat']['send']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output, e.g. `RouterOutputs['sessions']['list']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

// The shared contract names each Zod schema and its type alike (`StreamEvent` is both). Re-exported
// with `export type { StreamEvent } from '@threadline/shared'`, the bundled index.d.ts says
// `export { StreamEvent }` (rollup-plugin-dts drops the `type`; see Swatinem/rollup-plugin-dts#354),
// promising a value dist/index.js does not have. Plain aliases keep these exports type-only.

/** One stored message of a session. */
export type Message = shared.Message;
/** Structured content of a message beside its plain-text `content`. */
export type MessagePart = shared.MessagePart;
/** The record of one run (one answer to one user message). */
export type Run = shared.Run;
/** An error as stored on a run and streamed in `run-error`. */
export type RunError = shared.RunError;
/** Why a run failed. */
export type RunErrorCode = shared.RunErrorCode;
/** queued → running (⇄ waiting, for approvals) → completed | failed | cancelled | interrupted. */
export type RunStatus = shared.RunStatus;
/** A conversation thread owned by one user. */
export type Session = shared.Session;
/** A tool call that waits (or waited) for the user's approval, with the decision so far. */
export type ToolApproval = shared.ToolApproval;
/** An agent as clients see it: its tools (and which need approval) and options. */
export type Agent = shared.Agent;
/** Every event a run streams, keyed on `type`. */
export type StreamEvent = shared.StreamEvent;
/** One event of one run of a followed session (sessions.events). */
export type SessionEvent = shared.SessionEvent;
/** Token counts of one model answer (or the sum over a run's steps). */
export type Usage = shared.Usage;
/** A session as `sessions.export` writes it in JSON and `sessions.import` reads it (versioned, every branch). */
export type SessionExport = shared.SessionExport;
/** One message found by `search.messages`, its matched words marked «so» in `snippet`. */
export type SearchHit = shared.SearchHit;
/** A user's rating of an answer: up or down. */
export type Rating = shared.Rating;
export type { StreamEventOf, StreamEventType, TerminalEvent, ThreadlineErrorData } from '@threadline/shared';
/** The caller's token usage and cost over a time range (`usage.summary`). */
export type UsageSummary = shared.UsageSummary;
