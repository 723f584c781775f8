import { createTRPCClient, createWSClient, httpBatchLink, httpSubscriptionLink, splitLink, wsLink, type TRPCClient } from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import NodeWebSocket from 'ws';
import type { AppRouter } from '@threadline/server';

/** Options of createThreadlineClient. */
export interface ThreadlineClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:3000`; the client talks to `${url}/trpc`. */
  url: string;
  /** A bearer token (`tl_…`). Omit it for the public procedures only (system.health, system.info). */
  token?: string;
  /** A fetch to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch;
  /**
   * `http` (default): queries and mutations batched over HTTP, subscriptions over SSE.
   * `websocket`: every call over one WebSocket to `${url}/trpc` on the same port, the token in its
   * connection params; it reconnects by itself and resumes subscriptions from their last event id.
   * Close it with `closeThreadlineClient` when done (an open socket keeps a Node process alive).
   */
  transport?: 'http' | 'websocket';
}

/** The typed tRPC client of a Threadline server. */
export type ThreadlineClient = TRPCClient<AppRouter>;

/**
 * A typed client: queries and mutations go batched over HTTP, subscriptions over SSE (with the
 * `eventsource` package, since Node 20 has no global EventSource). Both carry the bearer token.
 */
export function createThreadlineClient(options: ThreadlineClientOptions): ThreadlineClient {
  const url = `${options.url.replace(/\/+$/, '')}/trpc`;
  if (options.transport === 'websocket') return webSocketClient(url, options.token);
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

/** The WebSocket connections of clients made with `transport: 'websocket'`, to close them. */
const sockets = new WeakMap<ThreadlineClient, { close(): Promise<void> | void }>();

function webSocketClient(url: string, token: string | undefined): ThreadlineClient {
  const socket = createWSClient({
    url: url.replace(/^http/, 'ws'),
    // Browsers and Node 22 have a WebSocket; Node 20 gets the `ws` package's.
    WebSocket: globalThis.WebSocket ?? (NodeWebSocket as unknown as typeof WebSocket),
    connectionParams: token ? { token } : {},
    retryDelayMs: (attempt) => Math.min(200 * 2 ** attempt, 5_000),
    keepAlive: { enabled: true, intervalMs: 10_000, pongTimeoutMs: 5_000 },
  });
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: socket, transformer: superjson })] });
  sockets.set(client, socket);
  return client;
}

/** Closes the WebSocket of a client made with `transport: 'websocket'` (nothing to do for `http`). */
export async function closeThreadlineClient(client: ThreadlineClient): Promise<void> {
  await sockets.get(client)?.close();
  sockets.delete(client);
}
