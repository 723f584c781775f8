import type { Kysely } from 'kysely';
import type { UserLimitOverrides } from '../limits/user-limits.js';
import type { Database, UserLimitsTable } from './database.js';

const columns = {
  requestsPerMinute: 'requests_per_minute',
  runsPerMinute: 'runs_per_minute',
  activeRuns: 'active_runs',
  openStreams: 'open_streams',
  tokensPerDay: 'tokens_per_day',
  tokensPerMonth: 'tokens_per_month',
  costPerMonth: 'cost_per_month',
} as const satisfies Record<keyof UserLimitOverrides, Exclude<keyof UserLimitsTable, 'user_id' | 'updated_at'>>;

type LimitColumn = (typeof columns)[keyof typeof columns];

/** The user's overrides (only those set), or undefined when the user has none. */
export async function findUserLimits(db: Kysely<Database>, userId: string): Promise<UserLimitOverrides | undefined> {
  const row = await db.selectFrom('user_limits').selectAll().where('user_id', '=', userId).executeTakeFirst();
  if (!row) return undefined;
  const overrides: UserLimitOverrides = {};
  for (const [name, column] of Object.entries(columns) as [keyof UserLimitOverrides, LimitColumn][]) {
    if (row[column] !== null) overrides[name] = Number(row[column]);
  }
  return overrides;
}

/**
 * Sets some of the user's overrides (a null clears that one, an absent one is left as it is);
 * returns the overrides now in force.
 */
export async function setUserLimits(db: Kysely<Database>, userId: string, changes: UserLimitOverrides): Promise<UserLimitOverrides> {
  const values: Partial<Record<LimitColumn, number | null>> = {};
  for (const [name, column] of Object.entries(columns) as [keyof UserLimitOverrides, LimitColumn][]) {
    if (changes[name] !== undefined) values[column] = changes[name];
  }
  const now = Date.now();
  await db
    .insertInto('user_limits')
    .values({ user_id: userId, ...values, updated_at: now })
    .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ ...values, updated_at: now }))
    .execute();
  return (await findUserLimits(db, userId)) ?? {};
}

/** Removes every override of the user (back to the defaults); false when there was none. */
export async function clearUserLimits(db: Kysely<Database>, userId: string): Promise<boolean> {
  const result = await db.deleteFrom('user_limits').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
