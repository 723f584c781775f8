import { z } from 'zod';
import { Id, RequestId } from './ids.js';
import { limits } from './limits.js';
import { Rating } from './message.js';
import { AgentName, isStorableText, ModelId, storableTextMessage } from './session.js';

const runChoice = {
  /** Answer with this agent (default: the session's). */
  agent: AgentName.optional(),
  /** Answer with this `provider/model` (default: the session's, else the agent's). */
  model: ModelId.optional(),
  /** Makes the call idempotent, as in `chat.send`: the same user and requestId never start a second run. */
  requestId: RequestId.optional(),
};

/** `messages.edit`: a new version of a user message, answered on a new branch beside the old one. */
export const MessageEditInput = z.strictObject({
  messageId: Id,
  content: z.string().min(1).max(limits.messageChars).refine(isStorableText, storableTextMessage),
  ...runChoice,
});
export type MessageEditInput = z.infer<typeof MessageEditInput>;

/**
 * `messages.regenerate`: another answer to the question an assistant message answered, on a new
 * branch beside it. Given a user message, answers that message (a retry of a question whose run
 * left no answer).
 */
export const MessageRegenerateInput = z.strictObject({ messageId: Id, ...runChoice });
export type MessageRegenerateInput = z.infer<typeof MessageRegenerateInput>;

/** The run `messages.edit` or `messages.regenerate` started: follow it with `runs.events`. */
export const MessageRunStarted = z.object({ runId: Id, sessionId: Id });
export type MessageRunStarted = z.infer<typeof MessageRunStarted>;

/** `sessions.switchBranch`: show the branch of this message (down to its newest leaf). */
export const SwitchBranchInput = z.strictObject({ sessionId: Id, messageId: Id });
export type SwitchBranchInput = z.infer<typeof SwitchBranchInput>;

/** The branch now active: its leaf (the last message `sessions.history` returns). */
export const SwitchBranchOutput = z.object({ sessionId: Id, leafId: Id });
export type SwitchBranchOutput = z.infer<typeof SwitchBranchOutput>;

/** Longest rating comment, in characters. */
export const ratingCommentChars = 2_000;

/** `messages.rate`: rate an assistant message; `null` removes the rating (and its comment). */
export const MessageRateInput = z.strictObject({
  messageId: Id,
  rating: Rating.nullable(),
  comment: z.string().trim().min(1).max(ratingCommentChars).refine(isStorableText, storableTextMessage).optional(),
});
export type MessageRateInput = z.infer<typeof MessageRateInput>;

/** The rating as stored. */
export const MessageRateOutput = z.object({ messageId: Id, rating: Rating.nullable(), ratingComment: z.string().nullable(), ratedAt: z.date().nullable() });
export type MessageRateOutput = z.infer<typeof MessageRateOutput>;
