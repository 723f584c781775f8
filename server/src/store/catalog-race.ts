import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Kysely's PostgreSQL introspection (which its Migrator runs to find its own tables) reads every
 * schema's tables and columns in one catalog query; DDL in another schema at that moment (another
 * tenant, another test, an instance migrating its own schema) can make it fail half-way with
 * "column … does not exist" from `pg_get_serial_sequence`, "schema … does not exist" (dropped
 * meanwhile), "relation "<schema>.<table>" does not exist" (a table dropped meanwhile, named as the
 * query names it to `pg_get_serial_sequence`: with its schema, which no statement of ours does), or
 * "cache lookup failed". Nothing was changed by the failed query: it is safe to ask again.
 */
export function isCatalogRace(error: unknown): boolean {
  const { routine, code, message } = (error ?? {}) as { routine?: unknown; code?: unknown; message?: unknown };
  if (routine === 'pg_get_serial_sequence' || code === '3F000') return true;
  if (typeof message !== 'string') return false;
  // 42P01 with a schema-qualified name: the introspection's, for a table another schema dropped.
  return message.includes('cache lookup failed') || (code === '42P01' && QUALIFIED_RELATION_GONE.test(message));
}

const QUALIFIED_RELATION_GONE = /^relation "[^".]+\.[^".]+" does not exist$/;

/** Runs `action`, again (up to `attempts` times in all) while it fails with a catalog race. */
export async function retryingCatalogRaces<T>(action: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= attempts || !isCatalogRace(error)) throw error;
      await sleep(50 * attempt);
    }
  }
}
