import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { AUDIT_ACTIONS, recordAudit } from './store/audit.js';
import type { Database } from './store/database.js';
import { countUsers, createToken, createUser } from './store/users.js';

/** The user a fresh install starts with. */
export const FIRST_USER = 'local';

/**
 * On an empty database: creates the user `local` and a token, writes the token to
 * `<dataDir>/token` (mode 0600) and returns it so the caller can print it once.
 */
export async function bootstrapFirstUser(db: Kysely<Database>, dataDir: string): Promise<{ token: string; file: string } | null> {
  if ((await countUsers(db)) > 0) return null;
  const source = { actor: { kind: 'server', name: 'first start' }, origin: `server@${hostname()}` } as const;
  const token = await db.transaction().execute(async (trx) => {
    const user = await createUser(trx, FIRST_USER);
    const { token, row } = await createToken(trx, user.id, 'first start');
    await recordAudit(trx, { ...source, action: AUDIT_ACTIONS.userCreate, target: `user:${FIRST_USER}`, details: { userId: user.id, tokenId: row.id } });
    return token;
  });
  const file = join(dataDir, 'token');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return { token, file };
}
