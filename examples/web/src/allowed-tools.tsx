import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@threadline/react';

/**
 * The tools the session runs without asking ("Always allow" on an approval card), with Ask again,
 * which takes them all back. Nothing while there are none.
 */
export function AllowedTools({ sessionId }: { sessionId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const session = useQuery(trpc.sessions.get.queryOptions({ sessionId }));
  const askAgain = useMutation(
    trpc.sessions.update.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.sessions.get.queryFilter({ sessionId })),
    }),
  );
  const tools = session.data?.allowedTools ?? [];
  if (tools.length === 0) return null;

  return (
    <header className="allowed-tools" data-testid="allowed-tools">
      <span>
        Allowed without asking: <code>{tools.join(', ')}</code>
      </span>
      <button type="button" disabled={askAgain.isPending} onClick={() => askAgain.mutate({ sessionId, allowedTools: [] })}>
        Ask again
      </button>
      {askAgain.isError && <span className="error">{askAgain.error.message}</span>}
    </header>
  );
}
