import { decimal, mebibytes, percentile, ratio, renderTable } from './formatting.js';
import type { Measurement } from './measure.js';
import type { ThreadlineStore } from './targets.js';

/** One load of one Threadline configuration, next to the floor's numbers for the same load. */
export interface ComparisonRow {
  /** The name `--only` takes: sqlite, postgres, redis. */
  configuration: string;
  store: ThreadlineStore;
  /** e.g. `C=5 100@5ms`. */
  load: string;
  /** The relay's measurement (undefined if it failed). */
  floor: Measurement | undefined;
  threadline: Measurement | undefined;
}

/** Issue #10's goals, printed under the tables. */
const GOALS = 'goals (issue #10): CPU/token <= 1.2x the floor, peak RSS at C=1000 <= 1.5x, added TTFT p50 at C=5 <= 2 ms';

const ttft = (measurement: Measurement | undefined, fraction: number) =>
  measurement ? percentile(measurement.load.ttftMs, fraction) : Number.NaN;

/** Errors, plus streams that came up short of words (a silent failure is a failure too). */
function errors(measurement: Measurement | undefined): string {
  if (!measurement) return 'failed';
  const missing = measurement.expectedTokens - measurement.load.tokens;
  return missing > 0 ? `${measurement.load.errors} (-${missing} tok)` : String(measurement.load.errors);
}

/** Prints one table per Threadline configuration: relay vs Threadline, per load. */
export function printComparison(rows: ComparisonRow[]): void {
  const header = [
    'load',
    'CPU µs/tok relay',
    'threadline',
    'ratio',
    'peak MiB relay',
    'threadline',
    'ratio',
    'idle MiB relay',
    'threadline',
    'TTFT p50 relay',
    'threadline',
    'added',
    'TTFT p99 relay',
    'threadline',
    'errors relay',
    'threadline',
  ];
  for (const configuration of [...new Set(rows.map((row) => row.configuration))]) {
    const own = rows.filter((row) => row.configuration === configuration);
    console.log(`Threadline on ${own[0]!.store}${configuration.includes("(") ? ` ${configuration.slice(configuration.indexOf("("))}` : ""} vs the relay floor (plain node, SQLite); TTFT in ms`);
    const cells = own.map(({ load, floor, threadline }) => [
      load,
      decimal(floor?.cpuPerToken ?? Number.NaN),
      decimal(threadline?.cpuPerToken ?? Number.NaN),
      ratio(threadline?.cpuPerToken ?? Number.NaN, floor?.cpuPerToken ?? Number.NaN),
      mebibytes(floor?.peakRss ?? Number.NaN),
      mebibytes(threadline?.peakRss ?? Number.NaN),
      ratio(threadline?.peakRss ?? Number.NaN, floor?.peakRss ?? Number.NaN),
      mebibytes(floor?.idleRss ?? Number.NaN),
      mebibytes(threadline?.idleRss ?? Number.NaN),
      decimal(ttft(floor, 0.5)),
      decimal(ttft(threadline, 0.5)),
      decimal(ttft(threadline, 0.5) - ttft(floor, 0.5)),
      decimal(ttft(floor, 0.99)),
      decimal(ttft(threadline, 0.99)),
      errors(floor),
      errors(threadline),
    ]);
    console.log(renderTable(header, cells));
    console.log('');
  }
  console.log(GOALS);
}
