import type { RunCounts } from '@threadline/shared';
import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/** One user's unfinished runs, counted by status. */
export interface UserRunCounts extends RunCounts {
  userId: string;
  name: string;
}

const UNFINISHED = ['queued', 'running', 'waiting'] as const;

/**
 * Unfinished runs (`queued`, `running`, `waiting`) of every instance, counted per user and status,
 * the users with the most first (then by name); `userId` counts one user's only. Users without
 * unfinished runs are not listed.
 */
export async function unfinishedRunCounts(db: Kysely<Database>, userId?: string): Promise<UserRunCounts[]> {
  let query = db
    .selectFrom('runs')
    .innerJoin('users', 'users.id', 'runs.user_id')
    .select(['runs.user_id as userId', 'users.name as name', 'runs.status as status', (eb) => eb.fn.countAll<number | string>().as('count')])
    .where('runs.status', 'in', [...UNFINISHED])
    .groupBy(['runs.user_id', 'users.name', 'runs.status']);
  if (userId !== undefined) query = query.where('runs.user_id', '=', userId);
  const byUser = new Map<string, UserRunCounts>();
  for (const row of await query.execute()) {
    const counts = byUser.get(row.userId) ?? { userId: row.userId, name: row.name, queued: 0, running: 0, waiting: 0 };
    // PostgreSQL's count is a bigint, which pg hands over as a string.
    counts[row.status as (typeof UNFINISHED)[number]] = Number(row.count);
    byUser.set(row.userId, counts);
  }
  const total = (counts: RunCounts) => counts.queued + counts.running + counts.waiting;
  return [...byUser.values()].sort((a, b) => total(b) - total(a) || a.name.localeCompare(b.name));
}

/** One user's unfinished runs by status (zeros when none). */
export async function ownRunCounts(db: Kysely<Database>, userId: string): Promise<RunCounts> {
  const [counts] = await unfinishedRunCounts(db, userId);
  return { queued: counts?.queued ?? 0, running: counts?.running ?? 0, waiting: counts?.waiting ?? 0 };
}
