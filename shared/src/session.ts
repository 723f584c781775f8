import { z } from 'zod';
import { Cursor, Id } from './ids.js';
import { limits } from './limits.js';
import { Message } from './message.js';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * True when the text is stored exactly as sent: no NUL (PostgreSQL's text columns refuse it) and no
 * lone surrogate (invalid Unicode that UTF-8 cannot encode: both databases would keep U+FFFD instead).
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}
/** The message of every `isStorableText` refinement. */
export const storableTextMessage = { message: 'text may not contain NUL characters or unpaired surrogates (invalid Unicode)' };

/** Keys the wire format (superjson) refuses to send back. */
const REFUSED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** True when `test` holds for an object key or a string at any depth of a JSON value. */
function someText(value: unknown, test: (text: string, isKey: boolean) => boolean): boolean {
  if (typeof value === 'string') return test(value, false);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, inner]) => test(key, !Array.isArray(value)) || someText(inner, test));
}

/** Free-form JSON attached to a session by the client: at most 64 keys and 16 KiB. */
export const Metadata = z
  .record(z.string().min(1).max(100), z.json())
  .refine((value) => Object.keys(value).length <= limits.metadataKeys, {
    message: `metadata may have at most ${limits.metadataKeys} keys`,
  })
  .refine((value) => new TextEncoder().encode(JSON.stringify(value)).length <= limits.metadataBytes, {
    message: `metadata may be at most ${limits.metadataBytes} bytes as JSON`,
  })
  .refine((value) => !someText(value, (text, isKey) => isKey && REFUSED_KEYS.has(text)), {
    message: 'metadata may not use the keys __proto__, constructor or prototype, at any depth',
  })
  .refine((value) => !someText(value, (text) => !isStorableText(text)), {
    message: `metadata keys and strings: ${storableTextMessage.message}`,
  });
export type Metadata = z.infer<typeof Metadata>;

/** A session title: trimmed, 1..200 characters. */
export const Title = z.string().trim().min(1).max(limits.titleChars).refine(isStorableText, storableTextMessage);

/** An agent name as registered on the server. */
export const AgentName = z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9_-]*$/i, 'agent names are letters, digits, - and _');

/** A `provider/model` id, e.g. `local/echo` or `openai/gpt-4.1-mini`. */
export const ModelId = z
  .string()
  .min(3)
  .max(200)
  .regex(/^[a-z0-9_-]+\/[^\s\u0000]+$/i, 'model ids look like provider/model')
  .refine(isStorableText, storableTextMessage);

/**
 * What a message sent to a session with an active run does: `enqueue` (run after it, in order),
 * `reject` (CONFLICT), or `interrupt` (cancel the active run, keep its partial answer, then run).
 */
export const BusyPolicy = z.enum(['enqueue', 'reject', 'interrupt']);
export type BusyPolicy = z.infer<typeof BusyPolicy>;

/** A conversation thread owned by one user. */
export const Session = z.object({
  id: Id,
  title: z.string().nullable(),
  /** The agent that answers in this session (the last one that answered, after a handoff). */
  agent: z.string(),
  /** The session's model; null means the agent's default. */
  model: z.string().nullable(),
  metadata: z.record(z.string(), z.json()),
  archived: z.boolean(),
  busyPolicy: BusyPolicy,
  /** Tools the user allowed for the whole session: their calls here run without asking for approval. */
  allowedTools: z.array(z.string()),
  createdAt: z.date(),
  updatedAt: z.date(),
  lastMessageAt: z.date().nullable(),
  messageCount: z.number().int().nonnegative(),
});
export type Session = z.infer<typeof Session>;

const PageSize = z.number().int().min(1).max(limits.pageSize);

export const SessionCreateInput = z.strictObject({
  title: Title.optional(),
  agent: AgentName.optional(),
  model: ModelId.optional(),
  metadata: Metadata.optional(),
  /** Default `enqueue`. */
  busyPolicy: BusyPolicy.optional(),
});
export type SessionCreateInput = z.infer<typeof SessionCreateInput>;

export const SessionListInput = z
  .strictObject({
    cursor: Cursor.optional(),
    limit: PageSize.optional(),
    /** false (default): active sessions; true: archived ones. */
    archived: z.boolean().optional(),
    /** Case-insensitive substring of the title. */
    query: z.string().max(limits.titleChars).refine(isStorableText, storableTextMessage).optional(),
  })
  .optional();
export type SessionListInput = z.infer<typeof SessionListInput>;

export const SessionPage = z.object({ items: z.array(Session), nextCursor: Cursor.nullable() });
export type SessionPage = z.infer<typeof SessionPage>;

export const SessionIdInput = z.strictObject({ sessionId: Id });
export type SessionIdInput = z.infer<typeof SessionIdInput>;

export const SessionHistoryInput = z.strictObject({
  sessionId: Id,
  cursor: Cursor.optional(),
  limit: PageSize.optional(),
});
export type SessionHistoryInput = z.infer<typeof SessionHistoryInput>;

export const HistoryPage = z.object({ messages: z.array(Message), nextCursor: Cursor.nullable() });
export type HistoryPage = z.infer<typeof HistoryPage>;

export const SessionUpdateInput = z.strictObject({
  sessionId: Id,
  /** A new title, or null to remove it. */
  title: Title.nullable().optional(),
  /** Replaces the whole metadata object. */
  metadata: Metadata.optional(),
  agent: AgentName.optional(),
  /** A new model for later turns, or null for the agent's default. */
  model: ModelId.nullable().optional(),
  busyPolicy: BusyPolicy.optional(),
  /** Replaces the tools allowed without asking ([] to ask again for every one). */
  allowedTools: z.array(z.string().min(1).max(128).refine(isStorableText, storableTextMessage)).max(64).optional(),
});
export type SessionUpdateInput = z.infer<typeof SessionUpdateInput>;

export const SessionDeleteOutput = z.object({ sessionId: Id, deleted: z.literal(true) });
export type SessionDeleteOutput = z.infer<typeof SessionDeleteOutput>;
