import type { Kysely } from 'kysely';
import { z } from 'zod';
import { isStorableText, storableTextMessage } from '@threadline/shared';
import type { Database } from '../../store/database.js';
import { searchMessages } from '../../store/messages.js';
import { defineTool } from '../define-tool.js';

/** A search over the caller's own stored messages (never another user's), newest first. */
export function searchHistoryTool(db: Kysely<Database>) {
  return defineTool({
    name: 'search_history',
    description: "Searches the user's earlier conversations for messages containing the words of the query; returns the best matches with their session title and date.",
    // A NUL can match no stored text, and PostgreSQL refuses it in a query: the model hears why instead.
    input: z.object({ query: z.string().min(1).max(200).refine(isStorableText, storableTextMessage), limit: z.number().int().min(1).max(20).optional() }),
    async execute({ query, limit }, context) {
      const words = query.toLowerCase().split(/\s+/).filter((word) => word.length > 1).slice(0, 8);
      // Not the question being answered right now.
      const hits = await searchMessages(db, context.userId, words, { exceptRunId: context.runId, limit: limit ?? 5 });
      return {
        query,
        results: hits.map((hit) => ({
          sessionId: hit.sessionId,
          sessionTitle: hit.sessionTitle,
          role: hit.role,
          excerpt: hit.content.length > 300 ? `${hit.content.slice(0, 300)}…` : hit.content,
          at: hit.createdAt.toISOString(),
        })),
      };
    },
  });
}
