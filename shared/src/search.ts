import { z } from 'zod';
import { Cursor, Id } from './ids.js';
import { Role } from './message.js';
import { isStorableText, storableTextMessage } from './session.js';

/** The marks around a matched word in a search snippet: `«word»`. */
export const searchMarks = { start: '«', end: '»' } as const;

/**
 * `search.messages`: the caller's own messages containing any of the query's words (whole words,
 * case ignored, accents not), best matches first. The words are taken literally: quotes, `*`, `-`,
 * `OR`, `NEAR` and the like are text, not operators.
 */
export const SearchMessagesInput = z.strictObject({
  query: z.string().trim().min(1).max(500).refine(isStorableText, storableTextMessage),
  /** Only this session's messages. */
  sessionId: Id.optional(),
  cursor: Cursor.optional(),
  /** 1..50, default 20. */
  limit: z.number().int().min(1).max(50).optional(),
});
export type SearchMessagesInput = z.infer<typeof SearchMessagesInput>;

/** One message found. */
export const SearchHit = z.object({
  messageId: Id,
  sessionId: Id,
  /** The session's title (null: untitled). */
  sessionTitle: z.string().nullable(),
  role: Role,
  /** A piece of the message around its matches, each matched word between « and » (`searchMarks`), `…` where text was left out. */
  snippet: z.string(),
  createdAt: z.date(),
});
export type SearchHit = z.infer<typeof SearchHit>;

export const SearchPage = z.object({ items: z.array(SearchHit), nextCursor: Cursor.nullable() });
export type SearchPage = z.infer<typeof SearchPage>;
