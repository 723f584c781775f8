import type { UserLimitDefaults } from '../config.js';

/** Every per-user limit (the defaults' fields, without how long they are cached); 0 means unlimited. Costs are in the price table's currency (USD). */
export type UserLimits = Omit<UserLimitDefaults, 'cacheMs'>;

/** The names of the limits, in the order they are shown. */
export const USER_LIMIT_NAMES = ['requestsPerMinute', 'runsPerMinute', 'activeRuns', 'openStreams', 'tokensPerDay', 'tokensPerMonth', 'costPerMonth'] as const satisfies readonly (keyof UserLimits)[];

/** One user's overrides: a missing (or null) limit is the server's default. */
export type UserLimitOverrides = { [name in keyof UserLimits]?: number | null };

/** The limits a user has: each override, else the default. */
export function effectiveLimits(defaults: UserLimitDefaults, overrides: UserLimitOverrides | undefined): UserLimits {
  const limits = {} as UserLimits;
  for (const name of USER_LIMIT_NAMES) limits[name] = overrides?.[name] ?? defaults[name];
  return limits;
}
