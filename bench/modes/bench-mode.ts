import type { BenchArguments } from '../support/arguments.js';

/**
 * One mode of `npm run bench -- <mode>`: a module exporting `description` and `run`. bench/run.ts
 * lists the modes and imports only the one asked for.
 */
export interface BenchMode {
  /** One line for `npm run bench -- help`. */
  description: string;
  /** Runs the mode, printing its report; rejects on a failure of the bench itself. */
  run(args: BenchArguments): Promise<void>;
}
