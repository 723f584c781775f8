import { SearchMessagesInput, SearchPage } from '@threadline/shared';
import { notFound } from '../errors.js';
import { searchMessages } from '../store/search.js';
import { findSession } from '../store/sessions.js';
import { authedProcedure, router } from '../trpc.js';

/** Searching the caller's own messages. */
export const searchRouter = router({
  messages: authedProcedure
    .input(SearchMessagesInput)
    .output(SearchPage)
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      // Another user's session answers as a missing one, not as an empty result.
      if (input.sessionId && !(await findSession(db, ctx.user.id, input.sessionId))) throw notFound('session');
      const { hits, nextCursor } = await searchMessages(db, ctx.user.id, input.query, {
        limit: input.limit ?? 20,
        ...(input.sessionId ? { sessionId: input.sessionId } : {}),
        ...(input.cursor ? { cursor: input.cursor } : {}),
      });
      return { items: hits.map(({ content: _content, ...hit }) => hit), nextCursor };
    }),
});
