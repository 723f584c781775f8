import type { AppRouter, ThreadlineClient } from '@threadline/client';
import { createTRPCContext, type TRPCOptionsProxy } from '@trpc/tanstack-react-query';
import type { QueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';

/**
 * The package's one tRPC context for React: ThreadlineProvider fills it, `useTRPC()` gives the typed
 * query, mutation and subscription options of every procedure (`useQuery(trpc.agents.list.queryOptions())`),
 * `useThreadlineClient()` the typed client itself (`client.runs.get.query(...)`).
 */
const context = createTRPCContext<AppRouter>();

/** Provides the tRPC client and the QueryClient to the hooks (ThreadlineProvider renders it inside a QueryClientProvider). */
export const TRPCProvider: (props: { children: ReactNode; queryClient: QueryClient; trpcClient: ThreadlineClient }) => ReactNode =
  context.TRPCProvider as never;
/** Typed options for React Query of every procedure of the server, e.g. `trpc.sessions.get.queryOptions({ sessionId })`. */
export const useTRPC: () => TRPCOptionsProxy<AppRouter> = context.useTRPC;
/** The typed Threadline client of the nearest ThreadlineProvider. */
export const useThreadlineClient: () => ThreadlineClient = context.useTRPCClient;
