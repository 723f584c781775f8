import type { Kysely } from 'kysely';
import { z } from 'zod';
import { isStorableText, storableTextMessage } from '@threadline/shared';
import type { Database } from '../../store/database.js';
import { searchMessages } from '../../store/search.js';
import { defineTool } from '../define-tool.js';

/** A full-text search over the caller's own stored messages (never another user's), best matches first (`search.messages`'s). */
export function searchHistoryTool(db: Kysely<Database>) {
  return defineTool({
    name: 'search_history',
    description: "Searches the user's earlier conversations for messages containing the words of the query (full-text, best matches first); returns them with their session title, date and a snippet with the matched words marked «like this».",
    // A NUL can match no stored text, and PostgreSQL refuses it in a query: the model hears why instead.
    input: z.object({ query: z.string().min(1).max(200).refine(isStorableText, storableTextMessage), limit: z.number().int().min(1).max(20).optional() }),
    async execute({ query, limit }, context) {
      // Not the question being answered right now.
      const { hits } = await searchMessages(db, context.userId, query, { exceptRunId: context.runId, limit: limit ?? 5 });
      return {
        query,
        results: hits.map((hit) => ({
          sessionId: hit.sessionId,
          sessionTitle: hit.sessionTitle,
          role: hit.role,
          excerpt: hit.content.length > 300 ? `${hit.content.slice(0, 300)}…` : hit.content,
          snippet: hit.snippet,
          at: hit.createdAt.toISOString(),
        })),
      };
    },
  });
}
