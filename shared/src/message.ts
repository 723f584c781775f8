import { z } from 'zod';
import { Id } from './ids.js';

/** Who wrote a message. */
export const Role = z.enum(['user', 'assistant', 'tool', 'system']);
export type Role = z.infer<typeof Role>;

/**
 * How a stored message ended: only assistant messages are ever anything but `complete`. `waiting`
 * is only seen in the outcome of a run paused for approval (chat.send); it is never stored.
 */
export const MessageStatus = z.enum(['complete', 'cancelled', 'interrupted', 'failed', 'waiting']);
export type MessageStatus = z.infer<typeof MessageStatus>;

/** A user's rating of an answer. */
export const Rating = z.enum(['up', 'down']);
export type Rating = z.infer<typeof Rating>;

/** Token counts of one model answer (or the sum over a run's steps). */
export const Usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** Tokens spent on reasoning, where the provider reports them. */
  reasoningTokens: z.number().int().nonnegative().optional(),
  /** Input tokens served from the provider's prompt cache, where reported. */
  cachedInputTokens: z.number().int().nonnegative().optional(),
  /** Input tokens written to the provider's prompt cache (Anthropic's cache creation), where reported; part of `inputTokens`. */
  cacheWriteInputTokens: z.number().int().nonnegative().optional(),
});
export type Usage = z.infer<typeof Usage>;

/** Structured content of a message beside its plain-text `content`. */
export const MessagePart = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({
    type: z.literal('reasoning'),
    text: z.string(),
    /** The provider's signature of this reasoning (Anthropic thinking), sent back with it on later requests. */
    signature: z.string().optional(),
  }),
  z.object({ type: z.literal('tool-call'), callId: z.string(), name: z.string(), input: z.unknown() }),
  z.object({
    type: z.literal('tool-result'),
    callId: z.string(),
    name: z.string(),
    output: z.unknown(),
    isError: z.boolean(),
    /** For a call that waited for the user's approval: what was decided. */
    approval: z.object({ approved: z.boolean(), reason: z.string().nullable() }).optional(),
  }),
]);
export type MessagePart = z.infer<typeof MessagePart>;

/** One stored message of a session. */
export const Message = z.object({
  id: Id,
  /** The session it belongs to; null only for the answer of a stateless run (never stored). */
  sessionId: Id.nullable(),
  /** The run that wrote it; null for messages written outside a run. */
  runId: Id.nullable(),
  role: Role,
  /** The plain text of the message. */
  content: z.string(),
  parts: z.array(MessagePart),
  /** The agent that answered (assistant messages). */
  agent: z.string().nullable(),
  /** The `provider/model` that answered (assistant messages). */
  model: z.string().nullable(),
  usage: Usage.nullable(),
  status: MessageStatus,
  createdAt: z.date(),
  /**
   * Follow-up questions the user might ask next (assistant messages of agents with suggestions;
   * empty when the model could not give them, absent when the agent does not make them).
   */
  suggestions: z.array(z.string()).optional(),
  /**
   * The message this one follows in its branch (messages form a tree: an edited question or a
   * regenerated answer is a sibling of the original); null for a session's first messages. Set on
   * every stored message; absent on a stateless run's answer.
   */
  parentId: Id.nullable().optional(),
  /** In `sessions.history`: how many messages share this one's parent (itself included), ≥ 1. */
  siblingCount: z.number().int().positive().optional(),
  /** In `sessions.history`: this message's place among them, 1-based, oldest first (`siblingIndex` of `siblingCount`). */
  siblingIndex: z.number().int().positive().optional(),
  /** In `sessions.history`: the sibling before this one (‹), to pass to `sessions.switchBranch`; null for the first. */
  previousSiblingId: Id.nullable().optional(),
  /** In `sessions.history`: the sibling after this one (›); null for the last. */
  nextSiblingId: Id.nullable().optional(),
  /** The user's rating of an answer (`messages.rate`); null or absent when unrated. */
  rating: Rating.nullable().optional(),
  /** The comment given with the rating. */
  ratingComment: z.string().nullable().optional(),
  /** When the rating was given. */
  ratedAt: z.date().nullable().optional(),
});
export type Message = z.infer<typeof Message>;
