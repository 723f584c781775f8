import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import type { AppRouter } from '@threadline/server';

/** Options of createThreadlineClient. */
export interface ThreadlineClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:3000`; the client talks to `${url}/trpc`. */
  url: string;
  /** A bearer token (`tl_…`). Omit it for the public procedures only (system.health, system.info). */
  token?: string;
  /** A fetch to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch;
}

/** The typed tRPC client of a Threadline server. */
export type ThreadlineClient = TRPCClient<AppRouter>;

/**
 * A typed client: queries and mutations go batched over HTTP, subscriptions over SSE (with the
 * `eventsource` package, since Node 20 has no global EventSource). Both carry the bearer token.
 */
export function createThreadlineClient(options: ThreadlineClientOptions): ThreadlineClient {
  const url = `${options.url.replace(/\/+$/, '')}/trpc`;
  const baseFetch = options.fetch ?? globalThis.fetch;
  const authorization: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) =>
              baseFetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...authorization } }),
          }),
        }),
        // The server refuses batches of more than 50 calls (THREADLINE_MAX_BATCH): larger ones are split here.
        false: httpBatchLink({ url, transformer: superjson, headers: () => authorization, fetch: baseFetch, maxItems: 50 }),
      }),
    ],
  });
}
