import { z } from 'zod';
import { RunError } from './errors.js';
import { Id, RequestId } from './ids.js';
import { limits } from './limits.js';
import { Message, Usage } from './message.js';
import { EventId, RunStatus, ToolApproval } from './run.js';
import { AgentName, isStorableText, Metadata, ModelId, storableTextMessage, Title } from './session.js';

/** `true`, or the new session's title and metadata. */
export const NewSession = z.union([
  z.literal(true),
  z.strictObject({ title: Title.optional(), metadata: Metadata.optional() }),
]);

const chatFields = {
  /** Continue this session. */
  sessionId: Id.optional(),
  /** Create a session for this message. Without sessionId or newSession the run is stateless. */
  newSession: NewSession.optional(),
  /** The user's message. */
  content: z
    .string()
    .min(1)
    .max(limits.messageChars)
    .refine(isStorableText, storableTextMessage),
  /** Answer with this agent (default: the session's, else `chat`). */
  agent: AgentName.optional(),
  /** Answer with this `provider/model` (default: the session's, else the agent's). */
  model: ModelId.optional(),
  /**
   * Models that take over, in order, when the model fails before its first token (429 after
   * retries, 5xx, unreachable, a refused key); default: the agent's `fallbacks`.
   */
  fallbacks: z.array(ModelId).max(limits.fallbackModels).optional(),
  /** Admission priority when the provider is busy: 1 first .. 10 last (default 5). */
  priority: z.number().int().min(1).max(10).optional(),
};

function notBoth(value: { sessionId?: string; newSession?: unknown }) {
  return !(value.sessionId !== undefined && value.newSession !== undefined);
}
const notBothMessage = { message: 'give sessionId or newSession, not both', path: ['newSession'] };

export const ChatSendInput = z
  .strictObject({ ...chatFields, requestId: RequestId.optional() })
  .refine(notBoth, notBothMessage);
export type ChatSendInput = z.infer<typeof ChatSendInput>;

export const ChatStreamInput = z
  .strictObject({
    ...chatFields,
    /** Required for streams: reconnecting with the same requestId re-attaches to the same run. */
    requestId: RequestId,
    /** Resume after this event (tRPC sets it on reconnect). */
    lastEventId: EventId.nullish(),
    /** What the client leaving does: `continue` (default: the run completes and is stored) or `cancel`. */
    onDisconnect: z.enum(['continue', 'cancel']).optional(),
  })
  .refine(notBoth, notBothMessage);
export type ChatStreamInput = z.infer<typeof ChatStreamInput>;

export const ChatSendOutput = z.object({
  runId: Id,
  sessionId: Id.nullable(),
  /**
   * How the run ended: `completed`, or `failed` / `cancelled` / `interrupted` with `error` set; or
   * `waiting` when it paused for approval (see `approvals`; decide with runs.approve / runs.deny).
   */
  status: RunStatus,
  /** The assistant message (partial when the run did not complete). */
  message: Message,
  usage: Usage,
  error: RunError.nullable(),
  /** While `waiting`: the tool calls waiting for a decision; empty otherwise. */
  approvals: z.array(ToolApproval),
});
export type ChatSendOutput = z.infer<typeof ChatSendOutput>;
