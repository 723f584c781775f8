import { sql, type Kysely } from 'kysely';
import { newId } from '../ids.js';
import type { AuditEventRow, Database } from './database.js';

/** Who did something: an operator at the command line, a user over HTTP, or the server itself. */
export interface AuditActor {
  kind: 'cli' | 'user' | 'server';
  /** The OS user (`cli`), the user's name (`user`), or the instance id (`server`). */
  name: string;
  /** The acting user's id, when a user acted. */
  userId?: string | undefined;
  /** The bearer token's id (never the token), when a user acted with one. */
  tokenId?: string | undefined;
}

/** What `recordAudit` writes. */
export interface AuditRecord {
  actor: AuditActor;
  /** From where: `cli@<hostname>`, an HTTP request's remote address, or `server@<instance id>`. */
  origin: string;
  /** `<resource>.<verb>`: see `AUDIT_ACTIONS` for the ones the server records. */
  action: string;
  /** What it was done to, e.g. `user:alice`, `token:<id>`. */
  target?: string | null | undefined;
  /** Anything else worth keeping (a label, the new limits, a prune's counts). Secrets are removed. */
  details?: Record<string, unknown> | undefined;
}

/** A stored audit entry. */
export interface AuditEvent extends Required<Omit<AuditRecord, 'details' | 'target'>> {
  id: string;
  at: Date;
  target: string | null;
  details: Record<string, unknown>;
}

/** The actions the server itself records (others may add theirs, same shape: `<resource>.<verb>`). */
export const AUDIT_ACTIONS = {
  userCreate: 'user.create',
  tokenCreate: 'token.create',
  tokenRevoke: 'token.revoke',
  limitsUpdate: 'limits.update',
  budgetUpdate: 'budget.update',
  retentionPrune: 'retention.prune',
  storeVacuum: 'store.vacuum',
} as const;

const ACTION = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
/** Keys whose values are secrets, whatever they hold (`tokenId` is not one: it names a token). */
const SECRET_KEY = /^(token|secret|password|passphrase|api[-_]?key|authorization|credentials?|private[-_]?key)$/i;
/** A Threadline bearer token, wherever it appears in a value. */
const BEARER_TOKEN = /tl_[A-Za-z0-9_-]{16,}/g;
const REDACTED = '[redacted]';

/** `details` without secrets: secret-named keys redacted at any depth, bearer tokens masked in strings. */
export function withoutSecrets(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(BEARER_TOKEN, REDACTED);
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key) ? REDACTED : withoutSecrets(inner)]));
  }
  return value;
}

/**
 * Appends an entry to the audit trail and returns it. The only write path to the trail: there is
 * no update or delete, and the database refuses both. Call it after the action succeeded.
 */
export async function recordAudit(db: Kysely<Database>, record: AuditRecord, now = Date.now()): Promise<AuditEvent> {
  if (!ACTION.test(record.action)) throw new Error(`audit action ${JSON.stringify(record.action)} is not <resource>.<verb>`);
  const details = withoutSecrets(record.details ?? {}) as Record<string, unknown>;
  const row: AuditEventRow = {
    id: newId(),
    at: now,
    actor_kind: record.actor.kind,
    actor: record.actor.name,
    actor_user_id: record.actor.userId ?? null,
    actor_token_id: record.actor.tokenId ?? null,
    origin: record.origin,
    action: record.action,
    target: record.target ?? null,
    details: JSON.stringify(details),
  };
  await db.insertInto('audit_events').values(row).execute();
  return toAuditEvent(row);
}

function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    at: new Date(row.at),
    actor: {
      kind: row.actor_kind as AuditActor['kind'],
      name: row.actor,
      ...(row.actor_user_id ? { userId: row.actor_user_id } : {}),
      ...(row.actor_token_id ? { tokenId: row.actor_token_id } : {}),
    },
    origin: row.origin,
    action: row.action,
    target: row.target,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

/** Which entries `listAudit` answers. */
export interface AuditQuery {
  /** Entries at or after this time. */
  since?: Date | undefined;
  /** An action (`token.revoke`), or a resource (`token`: every `token.*`). */
  action?: string | undefined;
  /** The page after this entry's id (entries come oldest first). */
  afterId?: string | undefined;
  limit: number;
}

/** One page of the audit trail, oldest first (ids are time-ordered). */
export async function listAudit(db: Kysely<Database>, query: AuditQuery): Promise<AuditEvent[]> {
  let select = db.selectFrom('audit_events').selectAll();
  if (query.since) select = select.where('at', '>=', query.since.getTime());
  if (query.action) {
    const action = query.action;
    const prefix = `${action.replace(/[\\%_]/g, (character) => `\\${character}`)}.%`;
    // `token` also matches every `token.*`.
    select = select.where((eb) => eb.or([eb('action', '=', action), sql<boolean>`action like ${prefix} escape '\\'`]));
  }
  if (query.afterId) select = select.where('id', '>', query.afterId);
  const rows = await select.orderBy('id').limit(query.limit).execute();
  return rows.map(toAuditEvent);
}
