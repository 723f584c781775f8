import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../store/database.js';
import { defineTool } from '../define-tool.js';

/** A search over the caller's own stored messages (never another user's), newest first. */
export function searchHistoryTool(db: Kysely<Database>) {
  return defineTool({
    name: 'search_history',
    description: "Searches the user's earlier conversations for messages containing the words of the query; returns the best matches with their session title and date.",
    input: z.object({ query: z.string().min(1).max(200), limit: z.number().int().min(1).max(20).optional() }),
    async execute({ query, limit }, context) {
      const words = query.toLowerCase().split(/\s+/).filter((word) => word.length > 1).slice(0, 8);
      if (words.length === 0) return { query, results: [] };
      const escape = (word: string) => `%${word.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
      const rows = await db
        .selectFrom('messages')
        .innerJoin('sessions', 'sessions.id', 'messages.session_id')
        .select(['messages.session_id', 'sessions.title', 'messages.role', 'messages.content', 'messages.created_at'])
        .where('messages.user_id', '=', context.userId)
        // Not the question being answered right now.
        .where((eb) => eb.or([eb('messages.run_id', 'is', null), eb('messages.run_id', '!=', context.runId)]))
        .where('sessions.user_id', '=', context.userId)
        .where((eb) => eb.or(words.map((word) => sql<boolean>`lower(${eb.ref('messages.content')}) like ${escape(word)} escape '\\'`)))
        .orderBy('messages.created_at', 'desc')
        .limit(limit ?? 5)
        .execute();
      return {
        query,
        results: rows.map((row) => ({
          sessionId: row.session_id,
          sessionTitle: row.title,
          role: row.role,
          excerpt: row.content.length > 300 ? `${row.content.slice(0, 300)}…` : row.content,
          at: new Date(row.created_at).toISOString(),
        })),
      };
    },
  });
}
