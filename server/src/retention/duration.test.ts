import { describe, expect, it } from 'vitest';
import { parseDuration, parseSince } from './duration.js';

describe('durations', () => {
  it('reads a number and a unit, and nothing else', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    for (const bad of ['30', '30 days', 'd', '-1d', '30y', '']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('--since: an ISO date, or a duration back from now', () => {
    expect(parseSince('7d', 10 * 86_400_000)).toEqual(new Date(3 * 86_400_000));
    expect(parseSince('2026-11-01')).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(parseSince('2026-11-01T12:00:00Z')).toEqual(new Date('2026-11-01T12:00:00Z'));
    for (const bad of ['yesterday', '2026-13-45', '11/01/2026']) expect(parseSince(bad)).toBeUndefined();
  });
});
