import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, NO_MIGRATIONS, sql, type Kysely, type Migration } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../testing/databases.js';
import type { Database } from './database.js';
import { createPostgresDatabase } from './dialects/postgres.js';
import { createSqliteDatabase } from './dialects/sqlite.js';
import { retryingCatalogRaces } from './catalog-race.js';
import { migrateToLatest, migratingPastRaces } from './migrate.js';
import type { DialectName } from './open.js';

const TABLES = ['messages', 'runs', 'sessions', 'tokens', 'users'];
const folder = fileURLToPath(new URL('./migrations/', import.meta.url));
const files = readdirSync(folder)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

/** Every migration file in the folder, loaded on its own (not through migrate.ts's list). */
async function migrationsOnDisk(): Promise<Record<string, Migration>> {
  const entries = await Promise.all(
    files.map(async (name) => [name, (await import(pathToFileURL(join(folder, `${name}.ts`)).href)) as Migration] as const),
  );
  return Object.fromEntries(entries);
}

/** A fresh, unmigrated database of the dialect; the Kysely instance is destroyed before the database. */
async function openEmpty(dialect: DialectName) {
  const database: TestDatabase = await createTestDatabase(dialect);
  const db = database.databaseUrl
    ? createPostgresDatabase(database.databaseUrl)
    : createSqliteDatabase(join(database.dataDir, 'threadline.db'));
  return {
    db,
    async [Symbol.asyncDispose]() {
      await db.destroy();
      await database.destroy();
    },
  };
}

/** On PostgreSQL the connection's own schema: every PostgreSQL test shares one database. */
async function schemaOf(db: Kysely<Database>, dialect: DialectName): Promise<string | undefined> {
  if (dialect === 'sqlite') return undefined;
  return (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]!.schema;
}

/** The application's tables in this database's own schema. */
async function tablesOf(db: Kysely<Database>, dialect: DialectName): Promise<string[]> {
  const schema = await schemaOf(db, dialect);
  const tables = await retryingCatalogRaces(() => db.introspection.getTables());
  return tables
    .filter((table) => schema === undefined || table.schema === schema)
    .map((table) => table.name)
    .filter((name) => TABLES.includes(name))
    .sort();
}

describe('migration files', () => {
  it('are dated and export up and down', async () => {
    expect(files.length).toBeGreaterThan(0);
    for (const [name, migration] of Object.entries(await migrationsOnDisk())) {
      expect(name).toMatch(/^\d{4}-\d{2}-\d{2}-[a-z0-9-]+$/);
      expect(typeof migration.up).toBe('function');
      expect(typeof migration.down).toBe('function');
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`migrations on ${dialect}`, () => {
    it('run every migration file in order, once', async () => {
      await using store = await openEmpty(dialect);
      const first = await migrateToLatest(store.db);
      expect(first.results?.map((result) => [result.migrationName, result.direction, result.status])).toEqual(
        files.map((name) => [name, 'Up', 'Success']),
      );
      expect(await tablesOf(store.db, dialect)).toEqual(TABLES);

      await store.db.insertInto('users').values({ id: 'u1', name: 'alice', created_at: 1 }).execute();
      const second = await migrateToLatest(store.db);
      expect(second.results).toEqual([]);
      expect(await store.db.selectFrom('users').selectAll().execute()).toEqual([{ id: 'u1', name: 'alice', created_at: 1 }]);
    });

    it('index what the hot queries look up: the history page of a session and the answer of a run', async () => {
      await using store = await openEmpty(dialect);
      await migrateToLatest(store.db);
      const schema = await schemaOf(store.db, dialect);
      const indexes =
        dialect === 'sqlite'
          ? (await sql<{ name: string }>`select name from pragma_index_list('messages')`.execute(store.db)).rows
          : (await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = 'messages' and schemaname = ${schema}`.execute(store.db)).rows;
      expect(indexes.map((index) => index.name)).toEqual(expect.arrayContaining(['messages_by_session', 'messages_by_run']));
    });

    it('migrate down to nothing and back up', async () => {
      await using store = await openEmpty(dialect);
      await migrateToLatest(store.db);
      await store.db.insertInto('users').values({ id: 'u1', name: 'alice', created_at: 1 }).execute();
      const migrationTableSchema = await schemaOf(store.db, dialect);
      const migrator = new Migrator({
        db: store.db,
        provider: { getMigrations: migrationsOnDisk },
        ...(migrationTableSchema ? { migrationTableSchema } : {}),
      });

      const down = await migratingPastRaces(() => migrator.migrateTo(NO_MIGRATIONS));
      expect(down.error).toBeUndefined();
      expect(down.results?.map((result) => [result.migrationName, result.direction, result.status])).toEqual(
        [...files].reverse().map((name) => [name, 'Down', 'Success']),
      );
      expect(await tablesOf(store.db, dialect)).toEqual([]);

      const up = await migrateToLatest(store.db);
      expect(up.results).toHaveLength(files.length);
      expect(await tablesOf(store.db, dialect)).toEqual(TABLES);
      expect(await store.db.selectFrom('users').selectAll().execute()).toEqual([]);
    });

    it('migrate a database beside another, already migrated one', async () => {
      // PostgreSQL: both are schemas of one database; the second must not mistake the first's
      // migration tables for its own.
      await using first = await openEmpty(dialect);
      await migrateToLatest(first.db);
      await using second = await openEmpty(dialect);
      expect((await migrateToLatest(second.db)).results).toHaveLength(files.length);
      expect(await tablesOf(second.db, dialect)).toEqual(TABLES);
      expect((await migrateToLatest(second.db)).results).toEqual([]);
    });

    it('give both dialects the same value shapes and constraints', async () => {
      await using store = await openEmpty(dialect);
      await migrateToLatest(store.db);
      const db = store.db;
      const big = Date.UTC(2100, 0, 1) + 123; // beyond 32 bits: needs bigint columns, read back as numbers
      await db.insertInto('users').values({ id: 'u1', name: 'alice', created_at: big }).execute();
      // archived, message_count, busy_policy and allowed_tools are left out: their column defaults fill them.
      await (db as Kysely<any>)
        .insertInto('sessions')
        .values({ id: 's1', user_id: 'u1', title: null, agent: 'chat', model: null, metadata: '{}', created_at: big, updated_at: big, last_message_at: null, activity_at: big })
        .execute();
      expect(await db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow()).toEqual({
        id: 's1', user_id: 'u1', title: null, agent: 'chat', model: null, metadata: '{}', archived: 0,
        created_at: big, updated_at: big, last_message_at: null, activity_at: big, message_count: 0, busy_policy: 'enqueue',
        allowed_tools: '[]',
      });

      // users.name, tokens.token_hash and (runs.user_id, runs.request_id) are unique.
      await expect(db.insertInto('users').values({ id: 'u2', name: 'alice', created_at: 1 }).execute()).rejects.toThrow();
      const token = { user_id: 'u1', label: 'cli', token_hash: 'h', created_at: 1, revoked_at: null };
      await db.insertInto('tokens').values({ id: 't1', ...token }).execute();
      await expect(db.insertInto('tokens').values({ id: 't2', ...token }).execute()).rejects.toThrow();
      const run = { user_id: 'u1', session_id: 's1', request_id: 'r1', status: 'queued', agent: 'chat', model: 'local/echo', queued_at: 1 };
      await db.insertInto('runs').values({ id: 'r1', ...run }).execute();
      await expect(db.insertInto('runs').values({ id: 'r2', ...run }).execute()).rejects.toThrow();
      await db.insertInto('runs').values({ id: 'r3', ...run, request_id: null }).execute();
      await db.insertInto('runs').values({ id: 'r4', ...run, request_id: null }).execute();

      // A message needs its session; deleting a user removes its sessions and their messages.
      const message = { user_id: 'u1', run_id: null, role: 'user', content: 'hi', parts: '[]', agent: null, model: null, usage: null, status: 'complete', created_at: 1 };
      await expect(db.insertInto('messages').values({ id: 'm0', session_id: 'missing', ...message }).execute()).rejects.toThrow();
      await db.insertInto('messages').values({ id: 'm1', session_id: 's1', ...message }).execute();
      await db.deleteFrom('users').where('id', '=', 'u1').execute();
      expect(await db.selectFrom('messages').select('id').execute()).toEqual([]);
      expect(await db.selectFrom('sessions').select('id').execute()).toEqual([]);
    });
  });
}
