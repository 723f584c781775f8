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
 * Flags (or environment): `--loads 5,50,1000` (BENCH_LOADS), `--only sqlite,postgres,redis`
 * (BENCH_ONLY), `--rounds N` (BENCH_ROUNDS: measured rounds of every load), `--stateless`
 * (BENCH_STATELESS=1: Threadline runs without a session, so nothing of the exchange is kept as
 * messages; by default each stream starts a session, as the relay stores each exchange).
 *
 * Other processes on the machine take the same 2 cores: the load average is printed before and
 * after; trust ratios from a quiet machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { listOption, numberOption, type BenchArguments } from '../support/arguments.js';
import { postgresProblem, redisProblem } from '../support/backing-services.js';
import { printComparison, type ComparisonRow } from '../support/comparison-report.js';
import { measure, type LoadShape, type Measurement } from '../support/measure.js';
import { RAISED_LIMITS, startFakeProvider, startRelay, startThreadline, type ThreadlineStore } from '../support/targets.js';

/** The loads of issue #10, by concurrency; rounds make each measurement a few thousand tokens or more. */
const LOADS: Record<string, LoadShape> = {
  '5': { concurrency: 5, words: 100, delayMs: 5, rounds: 12, warmUpRounds: 2 },
  '50': { concurrency: 50, words: 100, delayMs: 5, rounds: 8, warmUpRounds: 2 },
  '1000': { concurrency: 1000, words: 20, delayMs: 500, rounds: 1, warmUpRounds: 1 },
};

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

export const description = 'Threadline vs a bare node:http relay: CPU per token, peak RSS, TTFT, errors';

export async function run(args: BenchArguments): Promise<void> {
  const roundsOverride = numberOption(args, 'rounds', 'BENCH_ROUNDS', 0);
  const shapes = listOption(args, 'loads', 'BENCH_LOADS', Object.keys(LOADS)).map((name) => {
    const shape = LOADS[name];
    if (!shape) throw new Error(`--loads: unknown load ${name} (known: ${Object.keys(LOADS).join(', ')})`);
    return roundsOverride > 0 ? { ...shape, rounds: roundsOverride } : shape;
  });
  const stateless = args.flags.has('stateless') || process.env.BENCH_STATELESS === '1';
  const stores = await availableStores(listOption(args, 'only', 'BENCH_ONLY', Object.keys(STORES)));
  console.log(`load average before: ${loadAverage()} (2 cores; other processes skew the ratios)`);
  console.log(`Threadline streams ${stateless ? 'stateless runs (--stateless)' : 'into a new session each (the relay stores each exchange too)'}`);
  console.log(`Threadline limits raised for the bench: ${Object.entries(RAISED_LIMITS).map(([name, value]) => `${name}=${value}`).join(' ')}`);
  console.log('Each measurement: a fresh server process, warm-up rounds, then measured rounds; one target at a time.\n');

  const provider = await startFakeProvider();
  const rows: ComparisonRow[] = [];
  try {
    // Load by load, the floor first and each configuration right after it: a ratio's two sides are
    // measured minutes apart at most, under the same background noise.
    for (const shape of shapes) {
      console.log(loadLabel(shape));
      const floor = await attempt('relay (the floor)', () => measure(() => startRelay(provider.baseUrl), shape, { model: `bench-${shape.words}x${shape.delayMs}` }));
      for (const [name, store] of stores) {
        const threadline = await attempt(`threadline on ${store}`, () =>
          measure(() => startThreadline({ store, providerUrl: provider.baseUrl }), shape, { model: `openai/bench-${shape.words}x${shape.delayMs}`, newSession: !stateless }),
        );
        rows.push({ configuration: name, store, load: loadLabel(shape), floor, threadline });
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
