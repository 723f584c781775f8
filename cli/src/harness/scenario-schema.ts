import { FinishReason, RunErrorCode, StreamEvent } from '@threadline/shared';
import { z } from 'zod';
import { Requirements } from './requirements.js';

/** tRPC error codes a refused request can carry (the `errorCode` of a `rejected` turn). */
const REQUEST_ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_REQUESTS',
  'INTERNAL_SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
] as const;

/** Every stream event type, from the shared contract. */
const EVENT_TYPES = StreamEvent.options.map((option) => option.shape.type.value);

/** How a turn ended: a run status, or `rejected` when the server refused the request itself. */
export const TurnStatus = z.enum(['completed', 'failed', 'cancelled', 'interrupted', 'rejected']);
export type TurnStatus = z.infer<typeof TurnStatus>;

/** A regular expression written as `pattern` or `/pattern/flags`. */
const Pattern = z.string().min(1).superRefine((source, context) => {
  try {
    toRegExp(source);
  } catch (error) {
    context.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
  }
});

const oneOrMore = <T extends z.ZodType>(schema: T) => z.union([schema, z.array(schema).min(1)]);

/** What a turn must show. Every field is optional; all given ones must hold. */
export const Expectations = z.strictObject({
  /** The answer text contains each of these. */
  contains: oneOrMore(z.string().min(1)).optional(),
  /** The answer text contains none of these. */
  notContains: oneOrMore(z.string().min(1)).optional(),
  /** The answer text matches each regular expression (`pattern` or `/pattern/flags`). */
  matches: oneOrMore(Pattern).optional(),
  /** A `tool-call` event named each of these arrived. */
  toolCalled: oneOrMore(z.string().min(1)).optional(),
  /** A `tool-approval` event (the call waited for a decision) named each of these arrived. */
  approvalAsked: oneOrMore(z.string().min(1)).optional(),
  /** The `run-finish` event's finish reason. */
  finishReason: FinishReason.optional(),
  /** Each of these event types arrived at least once. */
  events: z.array(z.enum(EVENT_TYPES as [string, ...string[]])).min(1).optional(),
  /** A `run-queued` event arrived (true) or did not (false). */
  queued: z.boolean().optional(),
  /** How the turn ended (default: `completed`; `cancelled` with cancelAfterEvents; unchecked with errorCode). */
  status: TurnStatus.optional(),
  /** The run-error code, or the tRPC code when the request was refused. */
  errorCode: z.enum([...RunErrorCode.options, ...REQUEST_ERROR_CODES]).optional(),
});
export type Expectations = z.infer<typeof Expectations>;

const DECISIONS = 'allow, always, deny or { deny: REASON }';
/**
 * The answer to one tool call that waits for approval: `allow`, `always` (allow, and the tool runs
 * without asking for the rest of the run and of the session), `deny`, or `{ deny: reason }` (the
 * model is told the reason).
 */
export const ApprovalDecision = z.union([z.enum(['allow', 'always', 'deny']), z.strictObject({ deny: z.string().min(1).max(1000) })], { error: `expected ${DECISIONS}` });
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

/** `new` (a fresh session), `none` (a stateless run) or a name that later turns reuse. */
const SessionChoice = z.string().min(1).max(100);

const turnFields = {
  /** Shown in the report instead of the message. */
  name: z.string().min(1).optional(),
  /** The user message (local/echo directives such as `/long 20` work here). */
  send: z.string().min(1),
  /** `new`, `none`, or a session name (default: the scenario's `defaults.session`, else `new`). */
  session: SessionChoice.optional(),
  /** `provider/model` for this turn. */
  model: z.string().min(1).optional(),
  /** Agent for this turn. */
  agent: z.string().min(1).optional(),
  /** Cancel the run (runs.cancel) once this many events have arrived. */
  cancelAfterEvents: z.number().int().positive().optional(),
  /** Cut the connection once this many events have arrived; the stream must resume complete and gap-free. */
  dropAfterEvents: z.number().int().positive().optional(),
  /**
   * How tool calls that wait for approval are answered: one decision for every call, or a list, one
   * per call in the order they are asked (every one must be used). A call with no decision is denied
   * and fails the turn.
   */
  approvals: z
    .union([ApprovalDecision, z.array(ApprovalDecision).min(1)], {
      error: (issue) => (Array.isArray(issue.input) ? `expected a list of ${DECISIONS}` : `expected ${DECISIONS}, or a list of them`),
    })
    .optional(),
  expect: Expectations.optional(),
};

/** One message sent and its answer checked. */
export const Turn = z
  .strictObject(turnFields)
  .refine((turn) => !(turn.cancelAfterEvents && turn.dropAfterEvents), {
    message: 'a turn takes cancelAfterEvents or dropAfterEvents, not both',
    path: ['dropAfterEvents'],
  });
export type Turn = z.infer<typeof Turn>;

/** How many times to run a step (one after another). */
const Repeat = z.number().int().min(1).max(1000).default(1);

/** A step: one turn, or a `parallel` group of turns started together; either may `repeat`. */
export const Step = z
  .strictObject({
    ...turnFields,
    send: turnFields.send.optional(),
    repeat: Repeat,
    /** Turns started in the listed order, each once the previous one's run has started, then streamed at once. */
    parallel: z.array(Turn).min(1).optional(),
  })
  .superRefine((step, context) => {
    const turnKeys = Object.keys(turnFields).filter((key) => key !== 'name' && step[key as keyof typeof step] !== undefined);
    if (step.parallel && turnKeys.length > 0) {
      context.addIssue({ code: 'custom', message: `${turnKeys.join(', ')} ${turnKeys.length === 1 ? 'belongs' : 'belong'} to each turn of a parallel group, not to the group`, path: [turnKeys[0]!] });
    } else if (!step.parallel && step.send === undefined) {
      context.addIssue({ code: 'custom', message: 'a step needs "send" (one turn) or "parallel" (a list of turns)', path: [] });
    } else if (step.cancelAfterEvents && step.dropAfterEvents) {
      context.addIssue({ code: 'custom', message: 'a turn takes cancelAfterEvents or dropAfterEvents, not both', path: ['dropAfterEvents'] });
    }
  })
  .transform((step): ScenarioStep => {
    const { repeat, parallel, name, ...turn } = step;
    if (parallel) return { kind: 'parallel', name, repeat, turns: parallel };
    return { kind: 'turn', name, repeat, turn: { ...turn, name, send: turn.send! } };
  });

/** A validated step. */
export type ScenarioStep =
  | { kind: 'turn'; name: string | undefined; repeat: number; turn: Turn }
  | { kind: 'parallel'; name: string | undefined; repeat: number; turns: Turn[] };

/** A scripted conversation: steps run in order against one server. */
export const Scenario = z.strictObject({
  /** Shown in the report and as the JUnit testsuite name (default: the file name). */
  name: z.string().min(1).max(150).optional(),
  /** What the scenario checks. */
  description: z.string().optional(),
  /** Values every turn gets unless it sets its own. */
  defaults: z
    .strictObject({ session: SessionChoice.optional(), model: z.string().min(1).optional(), agent: z.string().min(1).optional() })
    .optional(),
  /** What the scenario needs of its server (checked before it runs; --start-server sets it up). */
  requires: Requirements.optional(),
  /** How long one turn may take before it fails, ms (default 60000). */
  timeoutMs: z.number().int().positive().default(60_000),
  steps: z.array(Step).min(1),
});
export type Scenario = z.infer<typeof Scenario>;

/** `pattern` or `/pattern/flags` as a RegExp (throws when invalid). */
export function toRegExp(source: string): RegExp {
  const literal = /^\/(.+)\/([a-z]*)$/s.exec(source);
  return literal ? new RegExp(literal[1]!, literal[2]) : new RegExp(source);
}
