import { TRPCError } from '@trpc/server';
import type { Services } from './services.js';
import { isDatabaseUnavailable } from './store/availability.js';
import { findUserByToken } from './store/users.js';
import { DATABASE_UNAVAILABLE, type Context } from './trpc.js';

/**
 * The context of a call made with this bearer token (HTTP header, or a WebSocket's connection
 * params): its user, or none for a missing or unknown token (authed procedures then refuse).
 */
export async function contextForToken(services: Services, token: string | undefined): Promise<Context> {
  try {
    const user = token ? ((await findUserByToken(services.db, token)) ?? null) : null;
    return { user, services };
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: DATABASE_UNAVAILABLE, cause: error });
    throw error;
  }
}
