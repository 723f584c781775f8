import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { ensurePrivateDir } from '../data-dir.js';
import type { Database } from './database.js';
import type { ConnectionErrorListener } from './dialects/postgres.js';
import { createSqliteDatabase } from './dialects/sqlite.js';
import { StoreHealth } from './availability.js';
import { migrateToLatest } from './migrate.js';
import type { DriverWrapper } from './driver-wrapper.js';

const DEFAULT_TIMEOUT_MS = 10_000;

/** Which database a store runs on. */
export type DialectName = 'sqlite' | 'postgres';

/** An open, migrated database. */
export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Whether writes go through now. */
  health: StoreHealth;
}

/** Where a store lives, and who hears about its lost connections. */
export interface StoreOptions {
  /** PostgreSQL's URL; unset selects SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Told when an idle PostgreSQL connection dies (the pool replaces it); never fatal. */
  onConnectionError?: ConnectionErrorListener;
  /** How long a connection, statement or lock wait may take before it fails, ms (default 10 s). */
  timeoutMs?: number;
  /** Wraps the database driver (tests count statements and transactions with it). */
  wrapDriver?: DriverWrapper;
}

/** Opens PostgreSQL when `databaseUrl` is set, else SQLite at `<dataDir>/threadline.db`; then migrates. */
export async function openStore(options: StoreOptions): Promise<Store> {
  let store: Store;
  const health = new StoreHealth();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (options.databaseUrl) {
    // Loaded only when used: a SQLite server never holds the pg driver in memory.
    const { createPostgresDatabase } = await import('./dialects/postgres.js');
    const db = createPostgresDatabase(options.databaseUrl, {
      timeoutMs,
      observe: health.observe,
      ...(options.onConnectionError ? { onConnectionError: options.onConnectionError } : {}),
      ...(options.wrapDriver ? { wrapDriver: options.wrapDriver } : {}),
    });
    store = { db, dialect: 'postgres', health };
  } else {
    ensurePrivateDir(options.dataDir);
    const db = createSqliteDatabase(join(options.dataDir, 'threadline.db'), { timeoutMs, health, ...(options.wrapDriver ? { wrapDriver: options.wrapDriver } : {}) });
    store = { db, dialect: 'sqlite', health };
  }
  await migrateToLatest(store.db);
  return store;
}
