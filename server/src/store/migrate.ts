import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import * as initial from './migrations/2026-11-23-initial.js';

/**
 * Every migration, by name. Listed here rather than read from the folder so the server also
 * runs from a bundle; names are dated, so they sort in the order they must run.
 */
const migrations: Record<string, Migration> = {
  '2026-11-23-initial': initial,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    throw new Error(`migration failed: ${String(result.error)}`, { cause: result.error });
  }
  return result;
}
