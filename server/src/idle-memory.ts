import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';

/** What the server tells the watcher, and what it may change in tests. */
export interface IdleMemoryOptions {
  /** True while nothing is in flight that a collection's pause would hold up (no open stream, no active or queued run). */
  isIdle: () => boolean;
  /** Heap growth (committed bytes) over the last low point after which an idle server collects. */
  growthBytes: number;
  /** Between checks, ms (two idle checks in a row are needed). */
  intervalMs?: number;
  /** The heap's committed size now (default: V8's `total_heap_size`). */
  heapBytes?: () => number;
  /** A full collection (default: V8's own, see `fullCollection`); undefined when it cannot be had. */
  collect?: (() => void) | undefined;
  /** Between one collection of a sequence and the next, ms (finalizers run in between). */
  pauseMs?: number;
  /**
   * What the server keeps on purpose for a while (finished runs' events, until their retention time
   * passes), estimated bytes: once a quarter of `growthBytes` of it has been let go since the last
   * collection, an idle server collects again.
   */
  heldBytes?: () => number;
  logger?: Pick<Logger, 'debug'>;
}

/**
 * Gives a burst's memory back once the server is idle again.
 *
 * V8 collects its old generation when it grows, and its memory reducer shrinks the heap after a
 * collection when the program stops allocating. After a burst of streams that last collection may
 * never come: an idle server allocates nearly nothing, so the garbage the burst promoted (hundreds
 * of MiB after thousands of streams) stays committed, and RSS with it, until the next burst. So:
 * every `intervalMs`, while the server has been idle for a whole interval and the heap has grown by
 * `growthBytes` since its last low point, it runs full collections a second apart until one gives
 * back little. Measured (docs/PERFORMANCE.md, "10,000 open streams"): a few pauses of ~50 ms, once
 * per burst, on a server no one is waiting on.
 *
 * What a burst leaves on purpose (its runs' events, replayable for `THREADLINE_RUN_RETENTION_MS`)
 * is still live at that first collection, and garbage only once its time passes, when the heap
 * does not grow: so a second sequence comes when `heldBytes` has fallen by a quarter of
 * `growthBytes` since the last collection.
 */
export class IdleMemoryRelease {
  private readonly heapBytes: () => number;
  private readonly collect: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The next collection of a sequence, while one is due. */
  private next: NodeJS.Timeout | undefined;
  /** The heap's committed size after the last collection here, or its lowest idle reading (at first, when made). */
  private low: number;
  private idleChecks = 0;
  /** The most `heldBytes` read since the last collection. */
  private heldPeak = 0;

  constructor(private readonly options: IdleMemoryOptions) {
    this.heapBytes = options.heapBytes ?? (() => getHeapStatistics().total_heap_size);
    // The first low point is now, before any work: a burst that begins before the first check
    // would otherwise make its own heap the low point, and nothing after it would be collected.
    this.low = this.heapBytes();
    // V8's flag is touched only when the server may collect.
    this.collect = 'collect' in options ? options.collect : options.growthBytes > 0 ? fullCollection() : undefined;
  }

  /** Starts checking (a timer that keeps no process alive); a no-op without a way to collect or with `growthBytes` 0. */
  start(): this {
    if (!this.collect || this.options.growthBytes <= 0 || this.timer) return this;
    this.timer = setInterval(() => this.check(), this.options.intervalMs ?? 5000);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.next);
    this.timer = undefined;
    this.next = undefined;
  }

  /** One check: collects when the server has been idle since the last check and the heap has grown enough. */
  check(): void {
    if (!this.collect || this.next) return;
    const held = this.options.heldBytes?.() ?? 0;
    if (held > this.heldPeak) this.heldPeak = held;
    if (!this.options.isIdle()) {
      this.idleChecks = 0;
      return;
    }
    this.idleChecks++;
    const heap = this.heapBytes();
    if (heap < this.low) this.low = heap;
    const grown = heap - this.low >= this.options.growthBytes;
    const letGo = this.heldPeak - held >= this.options.growthBytes / 4;
    if (this.idleChecks < 2 || !(grown || letGo)) return;
    this.collectUntilSettled(heap, 1, performance.now());
  }

  /**
   * One full collection, then, while the server stays idle, another a moment later for as long as
   * the last one gave back a noticeable part of the heap: one collection frees the garbage but V8
   * gives back the pages it emptied only as later ones compact the rest (measured: 350 → 120 →
   * 56 → 34 MiB committed, collection by collection), and finalizers run in between.
   */
  private collectUntilSettled(before: number, round: number, started: number): void {
    this.collect!();
    const after = this.heapBytes();
    this.low = after;
    this.heldPeak = this.options.heldBytes?.() ?? 0;
    const settled = round >= MOST_COLLECTIONS || before - after < SETTLED_BYTES;
    if (settled) {
      this.options.logger?.debug({ heapAfterBytes: after, collections: round, ms: Math.round(performance.now() - started) }, 'memory: an idle server collected what a burst left');
      return;
    }
    this.next = setTimeout(() => {
      this.next = undefined;
      if (this.options.isIdle()) this.collectUntilSettled(after, round + 1, started);
    }, this.options.pauseMs ?? 1000);
    this.next.unref();
  }
}

/** Most collections after one burst. */
const MOST_COLLECTIONS = 6;
/** A collection that gives back less than this ends the sequence. */
const SETTLED_BYTES = 4 * 2 ** 20;

/**
 * V8's full collection as a function: `globalThis.gc` when node runs with `--expose-gc`, else the
 * same function taken from a fresh context with the flag turned on for that moment only (what
 * test runners' leak detectors do). Undefined when V8 refuses.
 */
export function fullCollection(): (() => void) | undefined {
  const given = (globalThis as { gc?: () => void }).gc;
  if (typeof given === 'function') return () => given();
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? () => (gc as () => void)() : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
