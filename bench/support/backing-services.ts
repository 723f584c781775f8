import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** PostgreSQL for the bench: TEST_DATABASE_URL, else the local default. */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
/** Redis for the bench: TEST_REDIS_URL, else the local default. */
export const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** A URL without its password, for printing. */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function withPostgres<T>(url: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}

/** Why PostgreSQL at POSTGRES_URL cannot be used, or undefined when it answers. */
export async function postgresProblem(): Promise<string | undefined> {
  try {
    await withPostgres(POSTGRES_URL, (client) => client.query('select 1'));
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${displayUrl(POSTGRES_URL)}: ${(error as Error).message}`;
  }
}

/** Why Redis at REDIS_URL cannot be used, or undefined when it answers. */
export async function redisProblem(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return `Redis at ${displayUrl(REDIS_URL)}: ${(error as Error).message}`;
  } finally {
    redis.disconnect();
  }
}

/** A fresh, empty PostgreSQL database for one server start. */
export interface BenchDatabase {
  /** DATABASE_URL of the new database. */
  url: string;
  /** Drops the database (closing whatever is still connected to it). */
  drop(): Promise<void>;
}

/** Creates a database named `threadline_bench_<random>` on the server of `serverUrl` (POSTGRES_URL by default). */
export async function createPostgresDatabase(serverUrl = POSTGRES_URL): Promise<BenchDatabase> {
  const name = `threadline_bench_${randomBytes(6).toString('hex')}`;
  await withPostgres(serverUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // A schema chosen for the server's own database (`options=-c search_path=…`) does not exist in the new one.
  url.searchParams.delete('options');
  return {
    url: url.toString(),
    drop: () => withPostgres(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** Deletes every Redis key under `prefix` (a bench server's THREADLINE_REDIS_PREFIX). */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
