import { hostname, userInfo } from 'node:os';
import type { AuditRecord } from '../store/audit.js';

/** Who acted and from where, as `recordAudit` takes them. */
export type AuditSource = Pick<AuditRecord, 'actor' | 'origin'>;

/** The OS user running this process (`unknown` when the system cannot say). */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

/** An operator at the command line (`threadline-server …`): the OS user, from `cli@<hostname>`. */
export function cliSource(): AuditSource {
  return { actor: { kind: 'cli', name: osUser() }, origin: `cli@${hostname()}` };
}

/** The server acting by itself (the retention timer, the first start's user), from `server@<instance id>`. */
export function serverSource(instanceId: string): AuditSource {
  return { actor: { kind: 'server', name: instanceId }, origin: `server@${instanceId}` };
}

/**
 * A user acting over HTTP with a bearer token: who (the user, and the token's id when known, never
 * the token), from the request's remote address.
 */
export function requestSource(user: { id: string; name: string }, remoteAddress: string | undefined, tokenId?: string): AuditSource {
  return {
    actor: { kind: 'user', name: user.name, userId: user.id, ...(tokenId ? { tokenId } : {}) },
    origin: remoteAddress ?? 'unknown',
  };
}
