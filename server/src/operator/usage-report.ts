import type { Kysely } from 'kysely';
import type { UsageTotals } from '@threadline/shared';
import type { Database } from '../store/database.js';
import { summarizeUsage, type LedgerGrouping } from '../store/usage-ledger.js';

/** `threadline-server usage --from … [--to …] [--by user|model|day|session|agent]`: every user's usage, as a table. */
export async function usageReport(db: Kysely<Database>, options: { from: Date; to: Date; by?: LedgerGrouping }): Promise<string> {
  const { total, groups } = await summarizeUsage(db, { from: options.from.getTime(), to: options.to.getTime(), ...(options.by ? { groupBy: options.by } : {}) });
  const header = [options.by ?? 'total', 'runs', 'input', 'output', 'cached read', 'cache write', 'reasoning', 'cost (USD)'];
  const rows = [...groups.map((group) => [group.key ?? '(none)', ...columns(group)]), ...(options.by ? [['total', ...columns(total)]] : [['all users', ...columns(total)]])];
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: string[]) => cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ');
  return [`usage from ${options.from.toISOString()} to ${options.to.toISOString()}`, line(header), ...rows.map(line)].join('\n');
}

function columns(totals: UsageTotals): string[] {
  return [totals.runs, totals.inputTokens, totals.outputTokens, totals.cachedInputTokens, totals.cacheWriteInputTokens, totals.reasoningTokens].map(String).concat(totals.cost.toFixed(4));
}

/** A date given on the command line: ISO (`2026-12-01`, `2026-12-01T10:00Z`) or relative (`30d`, `12h`: that long ago). */
export function parseWhen(text: string, now = Date.now()): Date {
  const relative = /^(\d+)([dhm])$/.exec(text);
  if (relative) return new Date(now - Number(relative[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as 'd' | 'h' | 'm']);
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`not a date: ${JSON.stringify(text)} (use 2026-12-01, an ISO time, or 30d / 12h ago)`);
  return date;
}
