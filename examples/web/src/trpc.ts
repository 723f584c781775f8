import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from '@trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import type { AppRouter } from '@threadline/server';

/** Every procedure's output, e.g. `RouterOutputs['sessions']['list']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** A conversation thread as the sidebar lists it. */
export type Session = RouterOutputs['sessions']['list']['items'][number];
/** One stored message of a session. */
export type Message = RouterOutputs['sessions']['history']['messages'][number];
/** One event of a streamed answer, keyed on `type`. */
export type StreamEvent = Parameters<NonNullable<SubscribeOptions['onData']>>[0]['data'];
type SubscribeOptions = NonNullable<Parameters<TRPCClient<AppRouter>['chat']['stream']['subscribe']>[1]>;

/** The React bindings: `TRPCProvider` at the top, `useTRPC()` for query and mutation options. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** Where the page talks to and as whom. */
export interface Connection {
  /** The server's base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** A bearer token (`tl_…`). */
  token: string;
}

/**
 * A typed client for the page. Queries and mutations go batched over HTTP with the bearer token in
 * a header. Subscriptions go over SSE with the `eventsource` package instead of the browser's
 * EventSource, because only its `fetch` option lets the `Authorization` header through.
 */
export function createClient(connection: Connection): TRPCClient<AppRouter> {
  const url = `${connection.url.replace(/\/+$/, '')}/trpc`;
  const authorization = { authorization: `Bearer ${connection.token}` };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...authorization } }),
          }),
        }),
        false: httpBatchLink({ url, transformer: superjson, headers: () => authorization }),
      }),
    ],
  });
}
