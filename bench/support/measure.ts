import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad, type LoadResult } from './load-runner.js';
import { cpuMicroseconds, rssBytes, sampleRss } from './process-stats.js';
import { summarizeServerLog } from './server-log.js';
import type { Target } from './targets.js';

/** A load: how many streams at once, how long each answer is, and how often it is repeated. */
export interface LoadShape {
  /** Streams open at once. */
  concurrency: number;
  /** Words per answer. */
  words: number;
  /** Milliseconds between words. */
  delayMs: number;
  /** Measured rounds (each opens `concurrency` streams and waits for them all). */
  rounds: number;
  /** Rounds before the measurement, to warm the server (JIT, pools, caches). */
  warmUpRounds: number;
}

/** What one target did under one load. */
export interface Measurement {
  /** Server CPU (user + system) per word delivered, µs. */
  cpuPerToken: number;
  /** Server CPU over the measured rounds, µs. */
  cpuMicroseconds: number;
  idleRss: number;
  peakRss: number;
  load: LoadResult;
  /** Words the measured rounds should have delivered. */
  expectedTokens: number;
  /** The server's log lines (warnings and errors), summarized. */
  serverLog: string[];
}

/** How long the server is left alone around a measurement: to settle before, to finish writing after. */
const QUIET_MS = 300;
/** RSS sampling period during a load, ms. */
const RSS_INTERVAL_MS = 50;

/**
 * Starts a target, reads its idle RSS, runs the warm-up rounds, then the measured rounds with
 * its CPU read before and after and its RSS sampled throughout; stops the target.
 */
export async function measure(
  start: () => Promise<Target>,
  shape: LoadShape,
  options: { model: string; newSession?: boolean },
): Promise<Measurement> {
  const target = await start();
  try {
    const request = { concurrency: shape.concurrency, model: options.model, newSession: options.newSession ?? true, content: 'Tell me something.', progressMs: 0 };
    await sleep(QUIET_MS);
    const idleRss = rssBytes(target.pid) ?? Number.NaN;
    if (shape.warmUpRounds > 0) await runLoad(target, { ...request, rounds: shape.warmUpRounds });
    await sleep(QUIET_MS);

    const cpuBefore = cpuMicroseconds(target.pid);
    const sampler = sampleRss(target.pid, RSS_INTERVAL_MS);
    const load = await runLoad(target, { ...request, rounds: shape.rounds });
    // Whatever the server still does for these streams (the last stores) is part of their cost.
    await sleep(QUIET_MS);
    const peakRss = sampler.stop();
    const used = cpuMicroseconds(target.pid) - cpuBefore;
    return {
      cpuPerToken: load.tokens > 0 ? used / load.tokens : Number.NaN,
      cpuMicroseconds: used,
      idleRss,
      peakRss,
      load,
      expectedTokens: shape.concurrency * shape.rounds * shape.words,
      serverLog: summarizeServerLog(target.stderr()),
    };
  } finally {
    await target.stop();
  }
}
