import type { FeedbackEntry } from './store/ratings.js';

/** How `threadline-server feedback` prints ratings. */
export type FeedbackFormat = 'jsonl' | 'text';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since`: a date or time (anything `Date.parse` reads, e.g. `2026-11-30` or
 * `2026-11-30T12:00:00Z`), or a span back from `now`: `30m`, `12h`, `7d`, `2w`. Undefined when it
 * is neither.
 */
export function parseSince(value: string, now = Date.now()): Date | undefined {
  const span = /^(\d+)\s*([mhdw])$/i.exec(value.trim());
  if (span) return new Date(now - Number(span[1]) * UNITS[span[2]!.toLowerCase()]!);
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** One rating as a line: JSON (one object per line) or text for reading. */
export function formatFeedback(entry: FeedbackEntry, format: FeedbackFormat): string {
  if (format === 'jsonl') {
    return JSON.stringify({ ...entry, ratedAt: entry.ratedAt.toISOString() });
  }
  const answer = entry.content.replace(/\s+/g, ' ');
  const excerpt = answer.length > 80 ? `${answer.slice(0, 77)}...` : answer;
  const comment = entry.comment ? ` "${entry.comment.replace(/\s+/g, ' ')}"` : '';
  return `${entry.ratedAt.toISOString()}  ${entry.rating === 'up' ? '+1' : '-1'}  ${entry.userName}  ${entry.model ?? '-'}  ${entry.messageId}${comment}  | ${excerpt}`;
}
