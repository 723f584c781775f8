import type { AppRouter } from '@threadline/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';

/**
 * The React bindings: `TRPCProvider` at the top (with a client from `createThreadlineClient`),
 * `useTRPC()` for query and mutation options. The router's type comes from @threadline/client,
 * with the same tRPC as @trpc/tanstack-react-query's (one version across the workspace).
 */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** Where the page talks to and as whom: what `createThreadlineClient` takes. */
export interface Connection {
  /** The server's base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** A bearer token (`tl_…`). */
  token: string;
}
