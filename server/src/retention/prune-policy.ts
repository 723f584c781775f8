import { parseDuration } from './duration.js';
import type { RetentionPolicy } from './prune.js';

/** The kinds `prune --kinds` names, and the policy field of each. */
export const PRUNE_KINDS = { 'archived-sessions': 'archivedSessionsMs', sessions: 'sessionsMs', runs: 'runsMs' } as const;

/**
 * The policy a `prune` command applies: `olderThan` (a duration) for every kind, else the configured
 * policy; with `kinds` (comma-separated names of `PRUNE_KINDS`), those kinds only. A string says
 * what is wrong with the options.
 */
export function prunePolicy(options: { olderThan?: string | undefined; kinds?: string | undefined }, configured: RetentionPolicy): RetentionPolicy | string {
  let policy: RetentionPolicy = { archivedSessionsMs: configured.archivedSessionsMs, sessionsMs: configured.sessionsMs, runsMs: configured.runsMs };
  if (options.olderThan !== undefined) {
    const ms = parseDuration(options.olderThan);
    if (!ms) return `--older-than takes a duration such as 30d, 12h or 90m, not ${JSON.stringify(options.olderThan)}`;
    policy = { archivedSessionsMs: ms, sessionsMs: ms, runsMs: ms };
  }
  if (options.kinds !== undefined) {
    const names = options.kinds.split(',').map((name) => name.trim());
    const unknown = names.filter((name) => !(name in PRUNE_KINDS));
    if (unknown.length > 0 || names.length === 0) return `--kinds takes ${Object.keys(PRUNE_KINDS).join(', ')} (comma-separated), not ${JSON.stringify(options.kinds)}`;
    const chosen = new Set(names.map((name) => PRUNE_KINDS[name as keyof typeof PRUNE_KINDS]));
    for (const field of Object.values(PRUNE_KINDS)) if (!chosen.has(field)) policy[field] = undefined;
  }
  const { archivedSessionsMs, sessionsMs, runsMs } = policy;
  if (archivedSessionsMs === undefined && sessionsMs === undefined && runsMs === undefined) {
    return 'no retention policy: pass --older-than (e.g. 30d) or set THREADLINE_RETENTION_DAYS';
  }
  return policy;
}
