import type { UsageGroupBy, UsageSummary, UsageTotals } from '@threadline/shared';
import { resolveConnection, type ConnectionOptions } from './connection.js';
import { describeError } from './errors.js';

/** Options of `threadline usage`. */
export interface UsageOptions extends ConnectionOptions {
  from?: string;
  to?: string;
  by?: string;
}

const GROUPS: readonly UsageGroupBy[] = ['day', 'model', 'session', 'agent'];

/** `threadline usage [--from] [--to] [--by day|model|session|agent]`: your tokens and cost, as a table. Returns the exit code. */
export async function runUsage(options: UsageOptions): Promise<number> {
  try {
    if (options.by !== undefined && !GROUPS.includes(options.by as UsageGroupBy)) throw new Error(`--by must be one of ${GROUPS.join(', ')}`);
    const from = options.from ? parseWhen(options.from) : undefined;
    const to = options.to ? parseWhen(options.to) : undefined;
    const connection = await resolveConnection(options);
    try {
      const summary = await connection.client.usage.summary.query({ ...(from ? { from } : {}), ...(to ? { to } : {}), ...(options.by ? { groupBy: options.by as UsageGroupBy } : {}) });
      process.stdout.write(`${formatUsage(summary, options.by)}\n`);
      return 0;
    } catch (error) {
      process.stderr.write(`threadline: ${describeError(error, connection)}\n`);
      return 1;
    }
  } catch (error) {
    process.stderr.write(`threadline: ${(error as Error).message}\n`);
    return 1;
  }
}

/** A summary as a table: a row per group (when grouped), then the total. */
export function formatUsage(summary: UsageSummary, by?: string): string {
  const header = [by ?? '', 'runs', 'input', 'output', 'cached read', 'cache write', 'reasoning', `cost (${summary.currency})`];
  const rows = [...summary.groups.map((group) => [group.key ?? '(no session)', ...columns(group)]), ['total', ...columns(summary.total)]];
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  const line = (cells: string[]) => cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!))).join('  ');
  return [`your usage from ${summary.from.toISOString()} to ${summary.to.toISOString()}`, line(header), ...rows.map(line)].join('\n');
}

function columns(totals: UsageTotals): string[] {
  return [totals.runs, totals.inputTokens, totals.outputTokens, totals.cachedInputTokens, totals.cacheWriteInputTokens, totals.reasoningTokens].map(String).concat(totals.cost.toFixed(4));
}

/** An ISO date or time, or `30d` / `12h` / `15m` ago. */
function parseWhen(text: string, now = Date.now()): Date {
  const relative = /^(\d+)([dhm])$/.exec(text);
  if (relative) return new Date(now - Number(relative[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[relative[2] as 'd' | 'h' | 'm']);
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new Error(`not a date: ${JSON.stringify(text)} (use 2026-12-01, an ISO time, or 30d / 12h ago)`);
  return date;
}
