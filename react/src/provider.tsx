import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createThreadlineClient, type ThreadlineClient } from '@threadline/client';
import { useMemo, useState, type ReactNode } from 'react';
import { TRPCProvider } from './context.js';

/** Where to connect: a server URL and token, or a client made already. */
export type ThreadlineConnection =
  | {
      /** The server's base URL, e.g. `http://127.0.0.1:3000`. */
      url: string;
      /** A bearer token (`tl_…`). */
      token: string;
      client?: never;
    }
  | {
      /** A client from `createThreadlineClient` (a custom fetch, say). */
      client: ThreadlineClient;
      url?: never;
      token?: never;
    };

/** Props of ThreadlineProvider. */
export type ThreadlineProviderProps = ThreadlineConnection & {
  /** The QueryClient to keep queries in; by default one of the provider's own (kept across renders). */
  queryClient?: QueryClient;
  children?: ReactNode;
};

/**
 * Gives the hooks below it (`useSessions`, `useChat`, `useTRPC`) a typed Threadline client and a
 * React Query cache. A new `url` or `token` makes a new client; give the provider a `key` of them
 * as well when nothing of the old server's cache may show while the new one loads.
 *
 * ```tsx
 * <ThreadlineProvider url="http://127.0.0.1:3000" token={token}>
 *   <Chat sessionId={sessionId} />
 * </ThreadlineProvider>
 * ```
 */
export function ThreadlineProvider(props: ThreadlineProviderProps) {
  const { url, token, client: given, children } = props;
  const [ownQueryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 5_000, retry: 1 } } }));
  const queryClient = props.queryClient ?? ownQueryClient;
  const client = useMemo(() => given ?? createThreadlineClient({ url: url!, token: token! }), [given, url, token]);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={client} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
