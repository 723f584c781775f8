/**
 * `npm run bench -- [mode] [flags]`: the benchmarks of issue #10, measured from outside the server.
 *
 *   compare (default)  Threadline vs a bare node:http relay (the floor): CPU per token, peak RSS,
 *                      time to first token, errors; on SQLite, PostgreSQL and PostgreSQL + Redis.
 *   streams            10,000 concurrent slow streams on one process (SQLite): the RSS curve,
 *                      peak, and whether memory comes back once they end.
 *   history            a history page of 50 from a session of 100,000 messages, both dialects.
 *   help               lists the modes.
 *
 * Each mode is a module in bench/modes/ exporting `description` and `run(args)` (BenchMode);
 * add a mode by adding one line to MODES. Flags are described at the top of each mode's file.
 */
import { parseArguments } from './support/arguments.js';
import type { BenchMode } from './modes/bench-mode.js';

/** The modes, imported only when asked for. */
const MODES: Record<string, () => Promise<BenchMode>> = {
  compare: () => import('./modes/compare.js'),
  streams: () => import('./modes/streams.js'),
  history: () => import('./modes/history.js'),
  profile: () => import('./modes/profile.js'),
  promoted: () => import('./modes/promoted.js'),
};

const args = parseArguments(process.argv.slice(2));
if (args.mode === 'help' || args.flags.has('help')) {
  for (const [name, load] of Object.entries(MODES)) console.log(`${name.padEnd(10)} ${(await load()).description}`);
} else {
  const load = MODES[args.mode];
  if (!load) {
    console.error(`unknown mode ${args.mode}; modes: ${Object.keys(MODES).join(', ')}`);
    process.exit(2);
  }
  await (await load()).run(args);
  // Children are stopped; a lingering handle (a Redis or pg socket closing) must not hold the exit.
  process.exit(0);
}
