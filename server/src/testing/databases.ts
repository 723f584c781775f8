import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Message } from '@threadline/shared';
import { newId } from '../ids.js';
import type { DriverWrapper } from '../store/driver-wrapper.js';
import { openStore, type DialectName } from '../store/open.js';

/**
 * The dialects every store test runs on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set
 * (CI sets it; a missing server then fails the run instead of skipping).
 */
export const DIALECTS: DialectName[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/** Where a test's server keeps its data: a temp dir, and for PostgreSQL a schema of its own. */
export interface TestDatabase {
  dialect: DialectName;
  dataDir: string;
  /** DATABASE_URL for PostgreSQL (scoped to a fresh schema), undefined for SQLite. */
  databaseUrl: string | undefined;
  /** Drops the schema and removes the temp dir. */
  destroy(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A fresh, empty database of the given dialect. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'threadline-test-'));
  let databaseUrl: string | undefined;
  let schema: string | undefined;
  if (dialect === 'postgres') {
    const base = process.env.TEST_DATABASE_URL;
    if (!base) throw new Error('TEST_DATABASE_URL is not set');
    schema = `t_${randomBytes(6).toString('hex')}`;
    await withClient(base, (client) => client.query(`create schema ${schema}`));
    const url = new URL(base);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = url.toString();
  }
  const destroy = async () => {
    if (schema) await withClient(process.env.TEST_DATABASE_URL!, (client) => client.query(`drop schema ${schema} cascade`));
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { dialect, dataDir, databaseUrl, destroy, [Symbol.asyncDispose]: destroy };
}

async function withClient<T>(url: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

/**
 * A migrated store on a fresh database of the dialect; disposing destroys the Kysely instance, then
 * the database. `wrapDriver` sees every statement (a `StatementCounter`, say).
 */
export async function openTestStore(dialect: DialectName, options: { wrapDriver?: DriverWrapper } = {}) {
  const database = await createTestDatabase(dialect);
  const { db } = await openStore({ databaseUrl: database.databaseUrl, dataDir: database.dataDir, ...options });
  return {
    db,
    async [Symbol.asyncDispose]() {
      await db.destroy();
      await database.destroy();
    },
  };
}

/** A message value with a fresh id, for store tests that insert messages directly. */
export function newMessage(fields: Omit<Message, 'id' | 'createdAt'> & { createdAt?: Date }): Message {
  return { ...fields, id: newId(), createdAt: fields.createdAt ?? new Date() };
}
