import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * Takes the named lease for `holder` until `now + durationMs` when it is free: never taken, expired,
 * or already this holder's. One statement (insert, or update on conflict only while free), so of
 * several instances trying at once exactly one wins. True when `holder` has it now.
 */
export async function acquireLease(db: Kysely<Database>, name: string, holder: string, durationMs: number, now = Date.now()): Promise<boolean> {
  const result = await db
    .insertInto('leases')
    .values({ name, holder, expires_at: now + durationMs })
    .onConflict((conflict) =>
      conflict
        .column('name')
        .doUpdateSet({ holder, expires_at: now + durationMs })
        .where((eb) => eb.or([eb('leases.expires_at', '<=', now), eb('leases.holder', '=', holder)])),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

