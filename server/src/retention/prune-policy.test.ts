import { describe, expect, it } from 'vitest';
import { prunePolicy } from './prune-policy.js';

const DAY = 86_400_000;

describe('the policy of a prune command', () => {
  it('--older-than applies to every kind; without it, the configured policy', () => {
    expect(prunePolicy({ olderThan: '30d' }, {})).toEqual({ archivedSessionsMs: 30 * DAY, sessionsMs: 30 * DAY, runsMs: 30 * DAY });
    expect(prunePolicy({}, { archivedSessionsMs: 7 * DAY, sessionsMs: undefined, runsMs: 90 * DAY })).toEqual({ archivedSessionsMs: 7 * DAY, sessionsMs: undefined, runsMs: 90 * DAY });
  });

  it('--kinds keeps only the kinds it names', () => {
    expect(prunePolicy({ olderThan: '12h', kinds: 'archived-sessions, runs' }, {})).toEqual({ archivedSessionsMs: 12 * 3_600_000, sessionsMs: undefined, runsMs: 12 * 3_600_000 });
    expect(prunePolicy({ kinds: 'sessions' }, { sessionsMs: DAY, runsMs: DAY })).toEqual({ archivedSessionsMs: undefined, sessionsMs: DAY, runsMs: undefined });
  });

  it('says what is wrong: a bad duration, an unknown kind, no policy at all', () => {
    expect(prunePolicy({ olderThan: '30 days' }, {})).toMatch(/--older-than takes a duration/);
    expect(prunePolicy({ olderThan: '0d' }, {})).toMatch(/--older-than takes a duration/);
    expect(prunePolicy({ olderThan: '30d', kinds: 'messages' }, {})).toMatch(/--kinds takes archived-sessions, sessions, runs/);
    expect(prunePolicy({}, {})).toMatch(/no retention policy/);
    expect(prunePolicy({ kinds: 'runs' }, { sessionsMs: DAY })).toMatch(/no retention policy/);
  });
});
