/**
 * `npm run bench` (mode `compare`, the default): Threadline against the floor, from outside.
 *
 * A fake OpenAI-compatible provider (bench/fake-provider.mjs) streams the answers; the floor is a
 * bare node:http relay of the same job (bench/relay.mjs); Threadline runs as users run it, through
 * server/bin/threadline-server.js. Each target gets a fresh process per load, a warm-up, then the
 * measured rounds driven by bench/load.mjs in its own process; one target at a time (2 cores),
 * load by load (the floor, then each configuration).
 * Prints CPU per token, peak RSS and time to first token with their ratios to the floor, for
 * SQLite, PostgreSQL and PostgreSQL + Redis.
 *
 * Flags (or environment): `--loads 5,50,1000` (BENCH_LOADS; a custom load is `CxW@D`: C streams
 * of W words D ms apart), `--only sqlite,postgres,redis`
 * (BENCH_ONLY), `--rounds N` (BENCH_ROUNDS: measured rounds of every load), `--warm-up N`
 * (BENCH_WARM_UP_ROUNDS: warm-up rounds of every load, 2 by default at C=5 and C=50), `--stateless`
 * (BENCH_STATELESS=1: Threadline runs without a session, so nothing of the exchange is kept as
 * messages; by default each stream starts a session, as the relay stores each exchange),
 * `--repeat N` (BENCH_REPEAT: measure the floor and each configuration N times, alternating, and
 * report medians: this machine's CPU readings move 10-30% from one run to the next),
 * `--baseline DIR` (BENCH_BASELINE: another checkout, built, whose Threadline is measured beside
 * this one's in every repetition, e.g. a `git worktree` of main: an A/B on the same machine),
 * `--env NAME=VALUE,...` (BENCH_SERVER_ENV: settings added to Threadline's environment, e.g. to
 * measure a setting against its default), `--relay-flags` (BENCH_RELAY_FLAGS=1: the floor runs with
 * the node flags of this checkout's `npm start` too, instead of node's defaults).
 *
 * Other processes on the machine take the same 2 cores: the load average is printed before and
 * after; trust ratios from a quiet machine.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { listOption, numberOption, textOption, type BenchArguments } from '../support/arguments.js';
import { postgresProblem, redisProblem } from '../support/backing-services.js';
import { printComparison, type ComparisonRow } from '../support/comparison-report.js';
import { measure, type LoadShape, type Measurement } from '../support/measure.js';
import { RAISED_LIMITS, SERVER_BIN, startFakeProvider, startNodeArguments, startRelay, startThreadline, type ThreadlineStore } from '../support/targets.js';

/** The loads of issue #10, by concurrency; rounds make each measurement a few thousand tokens or more. */
export const LOADS: Record<string, LoadShape> = {
  '5': { concurrency: 5, words: 100, delayMs: 5, rounds: 12, warmUpRounds: 2 },
  '50': { concurrency: 50, words: 100, delayMs: 5, rounds: 8, warmUpRounds: 2 },
  '1000': { concurrency: 1000, words: 20, delayMs: 500, rounds: 1, warmUpRounds: 1 },
};

/**
 * A load named `CxW@D`: C streams of W words, D ms apart, with rounds enough for about 20,000
 * words (at least 2) and one warm-up round. E.g. `50x400@5` for long answers, where the cost
 * per token outweighs the cost per run.
 */
export function customLoad(name: string): LoadShape | undefined {
  const match = /^(\d+)x(\d+)@(\d+)$/.exec(name);
  if (!match) return undefined;
  const [concurrency, words, delayMs] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return { concurrency, words, delayMs, rounds: Math.max(2, Math.ceil(20_000 / (concurrency * words))), warmUpRounds: 1 };
}

/** The Threadline configurations, by the name `--only` takes. */
const STORES: Record<string, ThreadlineStore> = { sqlite: 'sqlite', postgres: 'postgres', redis: 'postgres+redis' };

/** `C=5 100@5ms` */
function loadLabel(shape: LoadShape): string {
  return `C=${shape.concurrency} ${shape.words}@${shape.delayMs}ms`;
}

function describe(measurement: Measurement): string {
  const { load } = measurement;
  const short = load.tokens < measurement.expectedTokens ? ` (expected ${measurement.expectedTokens})` : '';
  return `${Math.round(measurement.cpuPerToken)} µs/token, peak ${Math.round(measurement.peakRss / 2 ** 20)} MiB, ${load.tokens} tokens${short} in ${load.frames} frames, ${load.errors} errors${load.errors ? `: ${load.errorSamples.slice(0, 3).join(' | ')}` : ''}`;
}

/** Measures, printing a line either way; a failure is reported and gives undefined. */
async function attempt(label: string, action: () => Promise<Measurement>): Promise<Measurement | undefined> {
  const started = Date.now();
  try {
    const measurement = await action();
    console.log(`  ${label}: ${describe(measurement)} (${((Date.now() - started) / 1000).toFixed(0)} s, load average ${loadavg()[0]!.toFixed(1)})`);
    for (const line of measurement.serverLog) console.log(`    server: ${line}`);
    return measurement;
  } catch (error) {
    console.log(`  ${label}: FAILED: ${(error as Error).message.split('\n').slice(0, 12).join('\n    ')}`);
    return undefined;
  }
}

/** The 1, 5 and 15 minute load averages. */
function loadAverage(): string {
  return loadavg().map((value) => value.toFixed(2)).join(' ');
}

/** Which Threadline configurations can run, printing why the others are skipped. */
async function availableStores(wanted: string[]): Promise<[string, ThreadlineStore][]> {
  const stores: [string, ThreadlineStore][] = [];
  const postgres = wanted.some((name) => name !== 'sqlite') ? await postgresProblem() : undefined;
  const redis = wanted.includes('redis') ? await redisProblem() : undefined;
  for (const name of wanted) {
    const store = STORES[name];
    if (!store) throw new Error(`--only: unknown configuration ${name} (known: ${Object.keys(STORES).join(', ')})`);
    if (store.startsWith('postgres') && postgres) console.log(`skipping ${name}: ${postgres} (set TEST_DATABASE_URL)`);
    else if (name === 'redis' && redis) console.log(`skipping ${name}: ${redis} (set TEST_REDIS_URL)`);
    else stores.push([name, store]);
  }
  return stores;
}

/** `--env NAME=VALUE,NAME=VALUE` (BENCH_SERVER_ENV): settings for Threadline, to measure one against its default. */
export function serverEnvironment(args: BenchArguments): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const pair of listOption(args, 'env', 'BENCH_SERVER_ENV', [])) {
    const [name, value] = pair.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!name || value === undefined) throw new Error(`--env: NAME=VALUE pairs separated by commas, not ${pair}`);
    environment[name] = value;
  }
  return environment;
}

/**
 * Repeated measurements of one target as one: the median CPU per token, peak and idle RSS, every
 * stream's TTFT together, errors and tokens summed (a failed repetition fails the whole).
 */
function combine(measurements: (Measurement | undefined)[]): Measurement | undefined {
  if (measurements.some((measurement) => measurement === undefined)) return undefined;
  const all = measurements as Measurement[];
  if (all.length === 1) return all[0];
  // Of an even count, the mean of the middle two (of two repetitions, their mean: the lower one
  // alone made a noisy pair look better than it was, on whichever side had the low reading).
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = (sorted.length - 1) / 2;
    return (sorted[Math.floor(middle)]! + sorted[Math.ceil(middle)]!) / 2;
  };
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return {
    cpuPerToken: median(all.map((measurement) => measurement.cpuPerToken)),
    cpuMicroseconds: sum(all.map((measurement) => measurement.cpuMicroseconds)),
    idleRss: median(all.map((measurement) => measurement.idleRss)),
    peakRss: median(all.map((measurement) => measurement.peakRss)),
    expectedTokens: sum(all.map((measurement) => measurement.expectedTokens)),
    serverLog: all.flatMap((measurement) => measurement.serverLog),
    load: {
      streams: sum(all.map((measurement) => measurement.load.streams)),
      errors: sum(all.map((measurement) => measurement.load.errors)),
      errorSamples: all.flatMap((measurement) => measurement.load.errorSamples).slice(0, 5),
      tokens: sum(all.map((measurement) => measurement.load.tokens)),
      frames: sum(all.map((measurement) => measurement.load.frames)),
      ttftMs: all.flatMap((measurement) => measurement.load.ttftMs),
      durationMs: sum(all.map((measurement) => measurement.load.durationMs)),
    },
  };
}

export const description = 'Threadline vs a bare node:http relay: CPU per token, peak RSS, TTFT, errors';

export async function run(args: BenchArguments): Promise<void> {
  const roundsOverride = numberOption(args, 'rounds', 'BENCH_ROUNDS', 0);
  const warmUpOverride = numberOption(args, 'warm-up', 'BENCH_WARM_UP_ROUNDS', -1);
  const shapes = listOption(args, 'loads', 'BENCH_LOADS', Object.keys(LOADS)).map((name) => {
    const shape = LOADS[name] ?? customLoad(name);
    if (!shape) throw new Error(`--loads: unknown load ${name} (known: ${Object.keys(LOADS).join(', ')}, or CxW@D)`);
    return {
      ...shape,
      ...(roundsOverride > 0 ? { rounds: roundsOverride } : {}),
      ...(warmUpOverride >= 0 ? { warmUpRounds: warmUpOverride } : {}),
    };
  });
  const stateless = args.flags.has('stateless') || process.env.BENCH_STATELESS === '1';
  const environment = serverEnvironment(args);
  // The floor as the issue defines it runs with node's defaults; `--relay-flags` gives it npm start's.
  const relayFlags = args.flags.has('relay-flags') || process.env.BENCH_RELAY_FLAGS === '1' ? startNodeArguments(SERVER_BIN) : [];
  const repeat = Math.max(1, numberOption(args, 'repeat', 'BENCH_REPEAT', 1));
  const stores: [string, ThreadlineStore, string?][] = await availableStores(listOption(args, 'only', 'BENCH_ONLY', Object.keys(STORES)));
  const baseline = textOption(args, 'baseline', 'BENCH_BASELINE');
  if (baseline) {
    const bin = resolve(baseline, existsSync(join(baseline, 'server/bin/threadline-server.js')) ? 'server/bin/threadline-server.js' : '.');
    if (!existsSync(bin)) throw new Error(`--baseline: no ${bin}`);
    for (const [name, store] of [...stores]) stores.push([`${name} (baseline)`, store, bin]);
  }
  console.log(`load average before: ${loadAverage()} (2 cores; other processes skew the ratios)`);
  console.log(`Threadline streams ${stateless ? 'stateless runs (--stateless)' : 'into a new session each (the relay stores each exchange too)'}`);
  console.log(`Threadline limits raised for the bench: ${Object.entries(RAISED_LIMITS).map(([name, value]) => `${name}=${value}`).join(' ')}`);
  if (relayFlags.length > 0) console.log(`the relay runs with npm start's node flags (--relay-flags): ${relayFlags.join(' ')}`);
  if (Object.keys(environment).length > 0) console.log(`Threadline's environment adds (--env): ${Object.entries(environment).map(([name, value]) => `${name}=${value}`).join(' ')}`);
  console.log('Each measurement: a fresh server process, warm-up rounds, then measured rounds; one target at a time.\n');

  const provider = await startFakeProvider();
  const rows: ComparisonRow[] = [];
  try {
    // Load by load, the floor first and each configuration right after it: a ratio's two sides are
    // measured minutes apart at most, under the same background noise.
    for (const shape of shapes) {
      console.log(loadLabel(shape));
      const floors: (Measurement | undefined)[] = [];
      const threadlines = new Map<string, (Measurement | undefined)[]>(stores.map(([name]) => [name, []]));
      for (let repetition = 1; repetition <= repeat; repetition++) {
        const suffix = repeat > 1 ? ` #${repetition}` : '';
        floors.push(await attempt(`relay (the floor)${suffix}`, () => measure(() => startRelay(provider.baseUrl, relayFlags), shape, { model: `bench-${shape.words}x${shape.delayMs}` })));
        for (const [name, store, bin] of stores) {
          threadlines.get(name)!.push(
            await attempt(`threadline on ${store}${bin ? ` (baseline ${bin})` : ''}${suffix}`, () =>
              measure(() => startThreadline({ store, providerUrl: provider.baseUrl, environment, ...(bin ? { bin } : {}) }), shape, { model: `openai/bench-${shape.words}x${shape.delayMs}`, newSession: !stateless }),
            ),
          );
        }
      }
      for (const [name, store] of stores) {
        rows.push({ configuration: name, store, load: loadLabel(shape), floor: combine(floors), threadline: combine(threadlines.get(name)!) });
      }
    }
  } finally {
    await provider.stop();
  }

  console.log(`load average after: ${loadAverage()}\n`);
  printComparison(rows);
  const directory = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  const file = `${directory}compare-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ shapes, limits: RAISED_LIMITS, stateless, rows }, null, 2));
  console.log(`\nraw numbers: ${file}`);
}
