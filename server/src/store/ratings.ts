import type { Kysely } from 'kysely';
import type { Rating } from '@threadline/shared';
import type { Database } from './database.js';

/** A rating as stored on its message. */
export interface StoredRating {
  messageId: string;
  rating: Rating | null;
  ratingComment: string | null;
  ratedAt: Date | null;
}

/**
 * Rates the user's assistant message (`null` removes the rating and its comment). Resolves to the
 * rating stored, `'not-an-answer'` for a message that is not an assistant's, or undefined when the
 * user has no such message (another user's looks missing).
 */
export async function rateMessage(
  db: Kysely<Database>,
  userId: string,
  messageId: string,
  rating: Rating | null,
  comment: string | null,
  now = Date.now(),
): Promise<StoredRating | 'not-an-answer' | undefined> {
  const ratedAt = rating === null ? null : now;
  const updated = await db
    .updateTable('messages')
    .set({ rating, rating_comment: rating === null ? null : comment, rated_at: ratedAt })
    .where('id', '=', messageId)
    .where('user_id', '=', userId)
    .where('role', '=', 'assistant')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 1) return { messageId, rating, ratingComment: rating === null ? null : comment, ratedAt: ratedAt === null ? null : new Date(ratedAt) };
  const exists = await db.selectFrom('messages').select('id').where('id', '=', messageId).where('user_id', '=', userId).executeTakeFirst();
  return exists ? 'not-an-answer' : undefined;
}

/** One rating for operators (`threadline-server feedback`): who rated which answer of which model. */
export interface FeedbackEntry {
  messageId: string;
  sessionId: string;
  userName: string;
  agent: string | null;
  model: string | null;
  rating: Rating;
  comment: string | null;
  ratedAt: Date;
  /** The rated answer's text. */
  content: string;
}

/** Every rating given at or after `since`, oldest first, at most `limit`. */
export async function feedbackSince(db: Kysely<Database>, since: Date, limit: number): Promise<FeedbackEntry[]> {
  const rows = await db
    .selectFrom('messages')
    .innerJoin('users', 'users.id', 'messages.user_id')
    .select(['messages.id', 'messages.session_id', 'users.name', 'messages.agent', 'messages.model', 'messages.rating', 'messages.rating_comment', 'messages.rated_at', 'messages.content'])
    .where('messages.rated_at', '>=', since.getTime())
    .where('messages.rating', 'is not', null)
    .orderBy('messages.rated_at')
    .orderBy('messages.id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    messageId: row.id,
    sessionId: row.session_id,
    userName: row.name,
    agent: row.agent,
    model: row.model,
    rating: row.rating as Rating,
    comment: row.rating_comment,
    ratedAt: new Date(row.rated_at!),
    content: row.content,
  }));
}
