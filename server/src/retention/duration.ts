const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)\s*([smhdw])$/;

/** `30d`, `12h`, `90m`, `45s`, `2w` (a number and a unit) in ms; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/**
 * A point in time given as an ISO date (`2026-11-01`, `2026-11-01T12:00:00Z`) or as a duration
 * before `now` (`7d`); undefined when it is neither.
 */
export function parseSince(text: string, now = Date.now()): Date | undefined {
  const duration = parseDuration(text);
  if (duration !== undefined) return new Date(now - duration);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
