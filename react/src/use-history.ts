import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import type { Message } from '@threadline/client';
import { useThreadlineClient, useTRPC } from './context.js';

/** A page size the server accepts (limits.pageSize). */
const PAGE = 200;

/**
 * A session's whole stored history, oldest first: every page of `sessions.history`, kept under
 * that procedure's own query key for the session, so invalidating `trpc.sessions.history` reloads it.
 */
export function useHistory(sessionId: string): UseQueryResult<Message[]> {
  const trpc = useTRPC();
  const client = useThreadlineClient();
  return useQuery({
    queryKey: trpc.sessions.history.queryKey({ sessionId }),
    queryFn: async ({ signal }) => {
      const messages: Message[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.sessions.history.query({ sessionId, limit: PAGE, ...(cursor ? { cursor } : {}) }, { signal });
        messages.push(...page.messages);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return messages;
    },
  }) as UseQueryResult<Message[]>;
}
