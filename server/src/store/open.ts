import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { createPostgresDatabase, type ConnectionErrorListener } from './dialects/postgres.js';
import { createSqliteDatabase } from './dialects/sqlite.js';
import { migrateToLatest } from './migrate.js';

/** Which database a store runs on. */
export type DialectName = 'sqlite' | 'postgres';

/** An open, migrated database. */
export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
}

/** Where a store lives, and who hears about its lost connections. */
export interface StoreOptions {
  /** PostgreSQL's URL; unset selects SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Told when an idle PostgreSQL connection dies (the pool replaces it); never fatal. */
  onConnectionError?: ConnectionErrorListener;
}

/** Opens PostgreSQL when `databaseUrl` is set, else SQLite at `<dataDir>/threadline.db`; then migrates. */
export async function openStore(options: StoreOptions): Promise<Store> {
  let store: Store;
  if (options.databaseUrl) {
    store = { db: createPostgresDatabase(options.databaseUrl, options.onConnectionError), dialect: 'postgres' };
  } else {
    mkdirSync(options.dataDir, { recursive: true });
    store = { db: createSqliteDatabase(join(options.dataDir, 'threadline.db')), dialect: 'sqlite' };
  }
  await migrateToLatest(store.db);
  return store;
}
