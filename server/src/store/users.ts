import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { newId } from '../ids.js';
import type { Database, TokenRow, UserRow } from './database.js';
import { StatementTemplate } from './statement-template.js';

/** The authenticated caller, as procedures see it. */
export interface AuthUser {
  id: string;
  name: string;
  /** The token is an operator token (`token create NAME --operator`). */
  operator: boolean;
}

const TOKEN_PREFIX = 'tl_';

/** sha256 hex of a token: what the database keeps. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new bearer token: `tl_` + 32 random bytes, base64url. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export async function createUser(db: Kysely<Database>, name: string): Promise<UserRow> {
  const row: UserRow = { id: newId(), name, created_at: Date.now() };
  await db.insertInto('users').values(row).execute();
  return row;
}

export function findUserByName(db: Kysely<Database>, name: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
}

export function listUsers(db: Kysely<Database>): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().orderBy('name').execute();
}

export async function countUsers(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Issues a token for the user (an operator token with `operator`); returns the token (shown once) and its stored row. */
export async function createToken(
  db: Kysely<Database>,
  userId: string,
  label: string,
  options: { operator?: boolean } = {},
): Promise<{ token: string; row: TokenRow }> {
  const token = generateToken();
  const row: TokenRow = {
    id: newId(),
    user_id: userId,
    label,
    token_hash: hashToken(token),
    created_at: Date.now(),
    revoked_at: null,
    operator: options.operator ? 1 : 0,
  };
  await db.insertInto('tokens').values(row).execute();
  return { token, row };
}

export function listTokens(db: Kysely<Database>, userId: string): Promise<TokenRow[]> {
  return db.selectFrom('tokens').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
}

/** Revokes a token given either its id or the token itself. Returns false when none matched. */
export async function revokeToken(db: Kysely<Database>, tokenOrId: string): Promise<boolean> {
  const column = tokenOrId.startsWith(TOKEN_PREFIX) ? 'token_hash' : 'id';
  const value = column === 'token_hash' ? hashToken(tokenOrId) : tokenOrId;
  const result = await db
    .updateTable('tokens')
    .set({ revoked_at: Date.now() })
    .where(column, '=', value)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The user and operator flag of a live (not revoked) token, by its hash: every authenticated request's one statement. */
const userByToken = new StatementTemplate((db, args: { tokenHash: string }) =>
  db
    .selectFrom('tokens')
    .innerJoin('users', 'users.id', 'tokens.user_id')
    .select(['users.id', 'users.name', 'tokens.operator'])
    .where('tokens.token_hash', '=', args.tokenHash)
    .where('tokens.revoked_at', 'is', null),
);

/** The user a live (not revoked) token belongs to. */
export async function findUserByToken(db: Kysely<Database>, token: string): Promise<AuthUser | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const [row] = (await userByToken.execute(db, { tokenHash: hashToken(token) })).rows;
  return row && { id: row.id, name: row.name, operator: row.operator === 1 };
}

/** The id of a token given either the token itself or its id (for the audit trail, which never keeps the token). */
export async function tokenIdOf(db: Kysely<Database>, tokenOrId: string): Promise<string | undefined> {
  const column = tokenOrId.startsWith(TOKEN_PREFIX) ? 'token_hash' : 'id';
  const value = column === 'token_hash' ? hashToken(tokenOrId) : tokenOrId;
  const row = await db.selectFrom('tokens').select('id').where(column, '=', value).executeTakeFirst();
  return row?.id;
}
