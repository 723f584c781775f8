/**
 * `npm run bench -- streams`: many concurrent open streams on one Threadline process (SQLite).
 *
 * The answers come from the built-in offline model `local/echo`, slowed by its directives
 * (`/slow <delay> /long <words>`): a process may hold 20,000 file descriptors here, so 10,000
 * client sockets leave no room for 10,000 provider sockets too. After a short warm-up the server's
 * baseline RSS is read; then the load generator opens the streams (at most `--opening` waiting for
 * their headers at once) and waits for all of them to end; then the server is left alone for
 * `--settle` seconds; with `--waves 2` or more, the same again (a leak shows as an RSS after the
 * second settle above the first's). RSS, open streams and open files are sampled every 0.5 s
 * throughout; the curve is printed and written as CSV under bench/results/. The bench triggers
 * nothing inside the server: what gives the memory back is the server's own collection once it is
 * idle (`THREADLINE_IDLE_GC_MB`, 5 to 10 s after the last stream ends, and again once the finished
 * runs' events, replayable for `THREADLINE_RUN_RETENTION_MS` = 60 s, are let go: hence a 90 s
 * settle); `--env THREADLINE_IDLE_GC_MB=0` shows V8 alone, which may keep a burst's pages for as long
 * as the server stays idle.
 *
 * The default pace, one word every 10 s for 20 words (200 s an answer), is slow on purpose: the
 * point is the memory of many open streams. At `/slow 500` 10,000 streams ask for 20,000 tokens a
 * second, several cores' worth today, and since the server opens streams at a bounded rate (60 to
 * 250 a second here, fewer the more are open) 10-s answers end before the last ones open.
 *
 * Flags (or environment): `--streams 10000` (BENCH_STREAMS), `--words 20` (BENCH_STREAM_WORDS),
 * `--delay 10000` (BENCH_STREAM_DELAY_MS), `--settle 90` (BENCH_SETTLE_SECONDS), `--opening 256`
 * (BENCH_OPENING), `--waves 1` (BENCH_WAVES).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { numberOption, type BenchArguments } from '../support/arguments.js';
import { decimal, mebibytes, percentile, renderTable } from '../support/formatting.js';
import { runLoad, type LoadProgress, type LoadResult } from '../support/load-runner.js';
import { openFileCount, rssBytes } from '../support/process-stats.js';
import { summarizeServerLog } from '../support/server-log.js';
import { RAISED_LIMITS, startThreadline } from '../support/targets.js';
import { serverEnvironment } from './compare.js';

/** The memory goal of issue #10 for 10,000 open streams. */
const RSS_GOAL_BYTES = 2 ** 30;
/** "Back to baseline": after the settle, RSS is within this much of the baseline. */
const RETURN_TOLERANCE_BYTES = 64 * 2 ** 20;
const SAMPLE_MS = 500;

/** One point of the curve. */
interface CurvePoint {
  seconds: number;
  phase: string;
  rss: number;
  openFiles: number;
  /** From the load generator's last progress line. */
  progress: LoadProgress;
}

export const description = '10,000 concurrent slow streams on one process (SQLite): RSS curve, peak, back to baseline';

export async function run(args: BenchArguments): Promise<void> {
  const streams = numberOption(args, 'streams', 'BENCH_STREAMS', 10_000);
  const words = numberOption(args, 'words', 'BENCH_STREAM_WORDS', 20);
  const delayMs = numberOption(args, 'delay', 'BENCH_STREAM_DELAY_MS', 10_000);
  const settleSeconds = numberOption(args, 'settle', 'BENCH_SETTLE_SECONDS', 90);
  const openingLimit = numberOption(args, 'opening', 'BENCH_OPENING', 256);
  const waves = numberOption(args, 'waves', 'BENCH_WAVES', 1);
  console.log(`${streams} streams of ${words} words at ${delayMs} ms (local/echo), ${waves} wave(s), each followed by ${settleSeconds} s of settling`);
  console.log(`Threadline limits raised for the bench: ${Object.entries(RAISED_LIMITS).map(([name, value]) => `${name}=${value}`).join(' ')}\n`);

  const target = await startThreadline({ store: 'sqlite', environment: serverEnvironment(args) });
  const outcome: StreamsOutcome = { curve: [], results: [], afterRss: [], lowestSettleRss: [], baseline: Number.NaN, coldRss: Number.NaN, peakOpen: 0, streams, words };
  let serverLog: string[] = [];
  try {
    await sleep(500);
    outcome.coldRss = rssBytes(target.pid) ?? Number.NaN;
    // A warm-up, so that what the first use of every path loads is in the baseline, not in the growth.
    await runLoad(target, { concurrency: 100, rounds: 2, model: 'local/echo', content: '/slow 10 /long 20 warm up', progressMs: 0 });
    await sleep(3_000);
    outcome.baseline = rssBytes(target.pid) ?? Number.NaN;

    let phase = 'baseline';
    let progress: LoadProgress = { opening: 0, open: 0, done: 0, errors: 0, tokens: 0, frames: 0 };
    const started = performance.now();
    const sample = () => {
      const rss = rssBytes(target.pid);
      if (rss === undefined) return;
      outcome.curve.push({ seconds: (performance.now() - started) / 1000, phase, rss, openFiles: openFileCount(target.pid) ?? 0, progress });
    };
    sample();
    const sampler = setInterval(sample, SAMPLE_MS);
    try {
      const content = `/slow ${delayMs} /long ${words} hello`;
      for (let wave = 1; wave <= waves; wave++) {
        phase = `wave ${wave}`;
        const result = await runLoad(target, { concurrency: streams, rounds: 1, model: 'local/echo', content, openingLimit, progressMs: 250 }, (latest) => {
          progress = latest;
          outcome.peakOpen = Math.max(outcome.peakOpen, latest.open);
        });
        outcome.results.push(result);
        progress = { ...progress, opening: 0, open: 0, done: result.streams, errors: result.errors };
        console.log(`wave ${wave}: ${result.streams} streams, ${result.errors} errors${result.errors ? ` (${result.errorSamples.slice(0, 3).join(' | ')})` : ''}, ${result.tokens} tokens, ${(result.durationMs / 1000).toFixed(1)} s`);
        phase = `settle ${wave}`;
        const settleStart = outcome.curve.length;
        await sleep(settleSeconds * 1000);
        sample();
        outcome.afterRss.push(outcome.curve.at(-1)!.rss);
        outcome.lowestSettleRss.push(Math.min(...outcome.curve.slice(settleStart).map((point) => point.rss)));
      }
    } finally {
      clearInterval(sampler);
    }
    serverLog = summarizeServerLog(target.stderr());
  } finally {
    await target.stop();
  }

  for (const line of serverLog) console.log(`server: ${line}`);
  report(outcome);
}

/** What a streams run saw. */
interface StreamsOutcome {
  curve: CurvePoint[];
  /** One per wave. */
  results: LoadResult[];
  /** RSS at the end of each wave's settle. */
  afterRss: number[];
  /** The lowest RSS during each wave's settle. */
  lowestSettleRss: number[];
  baseline: number;
  coldRss: number;
  peakOpen: number;
  streams: number;
  words: number;
}

function report(outcome: StreamsOutcome): void {
  const { curve, results, baseline, afterRss, lowestSettleRss } = outcome;
  const rows = curve.map((point) => [
    decimal(point.seconds),
    point.phase,
    mebibytes(point.rss),
    String(point.progress.open),
    String(point.progress.opening),
    String(point.progress.done),
    String(point.progress.errors),
    String(point.openFiles),
  ]);
  console.log('');
  console.log(renderTable(['t (s)', 'phase', 'RSS MiB', 'open streams', 'opening', 'done', 'errors', 'server fds'], rows));

  const directory = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  const file = `${directory}streams-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`;
  const csv = curve.map((point) =>
    [point.seconds.toFixed(2), point.phase, point.rss, point.progress.open, point.progress.opening, point.progress.done, point.progress.errors, point.openFiles].join(','),
  );
  writeFileSync(file, ['seconds,phase,rss_bytes,open_streams,opening,done,errors,server_fds', ...csv].join('\n') + '\n');

  const peak = Math.max(...curve.map((point) => point.rss));
  const after = afterRss.at(-1) ?? Number.NaN;
  const errors = results.reduce((sum, result) => sum + result.errors, 0);
  const tokens = results.reduce((sum, result) => sum + result.tokens, 0);
  const expected = outcome.streams * outcome.words * results.length;
  const ttft = results.flatMap((result) => result.ttftMs);
  console.log('');
  console.log(`streams: ${results.map((result) => result.streams).join(' + ')}, most open at once: ${outcome.peakOpen}, errors: ${errors}, tokens: ${tokens} of ${expected}`);
  console.log(`TTFT p50 ${decimal(percentile(ttft, 0.5))} ms, p99 ${decimal(percentile(ttft, 0.99))} ms (from each request's start)`);
  console.log(
    `RSS: cold start ${mebibytes(outcome.coldRss)} MiB, baseline (after warm-up) ${mebibytes(baseline)} MiB, peak ${mebibytes(peak)} MiB; ` +
      `after each settle ${afterRss.map(mebibytes).join(', ')} MiB (lowest during it ${lowestSettleRss.map(mebibytes).join(', ')} MiB)`,
  );
  console.log(`peak < 1 GiB: ${peak < RSS_GOAL_BYTES ? 'yes' : 'NO'}; all ${outcome.streams} open at once: ${outcome.peakOpen >= outcome.streams ? 'yes' : 'NO'}; 0 errors: ${errors === 0 && tokens === expected ? 'yes' : 'NO'}`);
  const lowest = Math.min(...lowestSettleRss);
  console.log(
    `back near baseline (lowest settle RSS within ${mebibytes(RETURN_TOLERANCE_BYTES)} MiB of it): ${lowest - baseline <= RETURN_TOLERANCE_BYTES ? 'yes' : 'NO'} ` +
      `(${lowest >= baseline ? '+' : ''}${mebibytes(lowest - baseline)} MiB, ${decimal((100 * (lowest - baseline)) / (peak - baseline), 0)}% of the growth at peak)`,
  );
  if (lowestSettleRss.length > 1) {
    const growth = lowestSettleRss.at(-1)! - lowestSettleRss[0]!;
    console.log(
      `lowest settle RSS, last wave vs first: ${growth >= 0 ? '+' : ''}${mebibytes(growth)} MiB (${growth <= RETURN_TOLERANCE_BYTES ? 'no growth from wave to wave' : 'higher after the last wave'}); ` +
        'V8 returns pages only when it next collects, so one settle that stays high is not yet a leak',
    );
  }
  console.log(`curve: ${file}`);
}
