import type { Kysely } from 'kysely';
import type { UserLimitDefaults } from '../config.js';
import { effectiveLimits, USER_LIMIT_NAMES, type UserLimitOverrides, type UserLimits } from '../limits/index.js';
import type { Database } from '../store/database.js';
import { clearUserLimits, findUserLimits, setUserLimits } from '../store/user-limits.js';
import { findUserByName } from '../store/users.js';

/** The options of `threadline-server user limits NAME`, as commander gives them (text). */
export interface UserLimitsCommandOptions {
  requestsPerMinute?: string;
  runsPerMinute?: string;
  activeRuns?: string;
  openStreams?: string;
  tokensPerDay?: string;
  tokensPerMonth?: string;
  costPerMonth?: string;
  /** Remove every override of the user: back to the defaults. */
  clear?: boolean;
}

/** What the command did, for the caller to print (and to record, e.g. in an audit trail). */
export interface UserLimitsChange {
  user: { id: string; name: string };
  /** The overrides given (null: back to the default), or `clear`; empty when the limits were only shown. */
  changed: UserLimitOverrides | 'clear' | null;
  /** Every limit the user has now. */
  limits: UserLimits;
  /** Which of them are the user's own (the others are the defaults). */
  overridden: (keyof UserLimits)[];
}

/**
 * `threadline-server user limits NAME [--runs-per-minute N …] [--clear]`: sets, clears or (with no
 * option) shows a user's limits. A value is a number (0 = unlimited) or `default` (that override
 * removed). Throws an Error whose message is for the operator (unknown user, bad value).
 * Running instances see a change within THREADLINE_LIMITS_CACHE_MS.
 */
export async function userLimitsCommand(db: Kysely<Database>, defaults: UserLimitDefaults, name: string, options: UserLimitsCommandOptions): Promise<UserLimitsChange> {
  const user = await findUserByName(db, name);
  if (!user) throw new Error(`no user ${name}`);
  const changes = parseChanges(options);
  let changed: UserLimitsChange['changed'] = null;
  let overrides: UserLimitOverrides | undefined;
  if (options.clear) {
    if (Object.keys(changes).length > 0) throw new Error('--clear takes no other option');
    await clearUserLimits(db, user.id);
    changed = 'clear';
  } else if (Object.keys(changes).length > 0) {
    overrides = await setUserLimits(db, user.id, changes);
    changed = changes;
  } else {
    overrides = await findUserLimits(db, user.id);
  }
  return {
    user: { id: user.id, name: user.name },
    changed,
    limits: effectiveLimits(defaults, overrides),
    overridden: USER_LIMIT_NAMES.filter((limit) => overrides?.[limit] !== undefined && overrides[limit] !== null),
  };
}

function parseChanges(options: UserLimitsCommandOptions): UserLimitOverrides {
  const changes: UserLimitOverrides = {};
  for (const limit of USER_LIMIT_NAMES) {
    const text = options[limit];
    if (text === undefined) continue;
    if (text === 'default') {
      changes[limit] = null;
      continue;
    }
    const value = Number(text);
    const whole = limit !== 'costPerMonth';
    if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (whole && !Number.isInteger(value))) {
      throw new Error(`--${flagOf(limit)} must be ${whole ? 'a whole number' : 'a number'} ≥ 0 (0 = unlimited) or "default", not ${JSON.stringify(text)}`);
    }
    changes[limit] = value;
  }
  return changes;
}

/** `runsPerMinute` → `runs-per-minute`. */
export function flagOf(limit: keyof UserLimits): string {
  return limit.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** The command's answer as lines of text: one limit a line, its value, and whether it is the user's own. */
export function describeUserLimits(change: UserLimitsChange): string {
  const lines = [`limits of ${change.user.name} (0 = unlimited; costs in USD):`];
  for (const limit of USER_LIMIT_NAMES) {
    const value = change.limits[limit];
    const origin = change.overridden.includes(limit) ? 'set for this user' : 'default';
    lines.push(`  ${flagOf(limit).padEnd(20)} ${String(value === 0 ? 'unlimited' : value).padEnd(12)} ${origin}`);
  }
  return lines.join('\n');
}
