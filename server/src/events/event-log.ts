import { isTerminalEvent, type StreamEvent } from '@threadline/shared';
import type { PushingIterator, Sink } from './pushing.js';

/** An event with its id: its sequence number in the run, from 1. */
export interface LoggedEvent {
  id: number;
  event: StreamEvent;
}

/**
 * Where a run's events go before they reach anyone: append first, then fan out. A reader replays
 * what it missed and follows live, so reconnects and second viewers see the same sequence.
 * In memory for one process; a Redis Streams implementation serves several instances.
 */
export interface RunEventLog {
  /** Starts a run's log; `earlier` are its events from before a restart (ids kept). */
  open(runId: string, earlier?: LoggedEvent[]): void;
  /** Appends an event and wakes the run's readers; returns it with its id. */
  append(runId: string, event: StreamEvent): LoggedEvent;
  /** The run's events so far (to keep them across a restart). */
  snapshot(runId: string): LoggedEvent[];
  /**
   * True while the run's events can be read here: held by this process (open, or ended within the
   * retention time), or, for a log shared between instances, by any of them.
   */
  has(runId: string): Promise<boolean>;
  /**
   * The events after `afterId`, then live ones, ending after the terminal event or when `signal`
   * aborts. Subscribes before reading the backlog so nothing falls between the two.
   */
  follow(runId: string, afterId: number, signal: AbortSignal): AsyncIterable<LoggedEvent>;
  /**
   * Only for a log shared between instances: appends an event to a run another (dead) instance was
   * writing, after its last one; resolves to it, or undefined when the run's events are not there.
   * The caller must have claimed the run, so that it is the only writer.
   */
  appendRemote?(runId: string, event: StreamEvent): Promise<LoggedEvent | undefined>;
  /** Number of live readers over all runs (for leak checks and status). */
  readerCount(): number;
  /**
   * Bytes (estimated) of ended runs' events this process keeps in memory for late readers: what it
   * lets go as their retention time passes (the idle memory release collects after that).
   */
  endedMemory(): number;
  /** Only for a log shared between instances: resolves once every append so far can be read by the others. */
  flush?(): Promise<void>;
  /** Drops every log and timer (and closes connections). */
  close(): Promise<void>;
}

interface RunRecord {
  events: LoggedEvent[];
  readers: Set<() => void>;
  ended: boolean;
  expiry?: NodeJS.Timeout;
  /** About how much memory its events hold, bytes. */
  bytes: number;
}

/**
 * The single-process event log: arrays in memory. An ended run's events stay for readers that
 * resume late, until `retentionMs` after its end or until ended runs hold more than
 * `maxEndedBytes` in all (the oldest are dropped first; a reader then replays from the store).
 */
export class InMemoryEventLog implements RunEventLog {
  private readonly runs = new Map<string, RunRecord>();
  /** Ended runs still held, oldest first, and their size. */
  private readonly endedRuns = new Map<string, number>();
  private endedBytes = 0;

  constructor(
    private readonly retentionMs: number,
    private readonly maxEndedBytes = Number.POSITIVE_INFINITY,
  ) {}

  open(runId: string, earlier: LoggedEvent[] = []): void {
    if (!this.runs.has(runId)) this.runs.set(runId, { events: [...earlier], readers: new Set(), ended: false, bytes: earlier.reduce((sum, logged) => sum + sizeOf(logged.event), 0) });
  }

  snapshot(runId: string): LoggedEvent[] {
    return [...(this.runs.get(runId)?.events ?? [])];
  }

  append(runId: string, event: StreamEvent): LoggedEvent {
    const record = this.runs.get(runId);
    if (!record || record.ended) throw new Error(`run ${runId} has no open event log`);
    const logged = { id: record.events.length + 1, event };
    record.events.push(logged);
    record.bytes += sizeOf(event);
    if (isTerminalEvent(event)) {
      record.ended = true;
      record.expiry = setTimeout(() => this.drop(runId), this.retentionMs);
      record.expiry.unref();
      this.endedRuns.set(runId, record.bytes);
      this.endedBytes += record.bytes;
      // Over the memory bound: the oldest ended runs go first (their readers replay from the store).
      for (const oldest of this.endedRuns.keys()) {
        if (this.endedBytes <= this.maxEndedBytes) break;
        this.drop(oldest);
      }
    }
    for (const wake of record.readers) wake();
    return logged;
  }

  /** Bytes held by ended runs' events (for tests and status). */
  endedMemory(): number {
    return this.endedBytes;
  }

  private drop(runId: string): void {
    const record = this.runs.get(runId);
    clearTimeout(record?.expiry);
    this.runs.delete(runId);
    const bytes = this.endedRuns.get(runId);
    if (bytes === undefined) return;
    this.endedRuns.delete(runId);
    this.endedBytes -= bytes;
  }

  async has(runId: string): Promise<boolean> {
    return this.holds(runId);
  }

  /** True while this process holds the run's events. */
  holds(runId: string): boolean {
    return this.runs.has(runId);
  }

  follow(runId: string, afterId: number, signal: AbortSignal): AsyncIterable<LoggedEvent> {
    const record = this.runs.get(runId);
    return { [Symbol.asyncIterator]: () => (record ? new Reader(record, afterId, signal) : { next: async () => ({ done: true, value: undefined }) }) };
  }

  readerCount(): number {
    let count = 0;
    for (const record of this.runs.values()) count += record.readers.size;
    return count;
  }

  async close(): Promise<void> {
    for (const record of this.runs.values()) {
      clearTimeout(record.expiry);
      record.ended = true;
      for (const wake of record.readers) wake();
    }
    this.runs.clear();
    this.endedRuns.clear();
    this.endedBytes = 0;
  }
}

/**
 * One reader of a run's events: those after `afterId`, then live ones, until the terminal event,
 * the end of the log or the signal. Registered with the run at once, so nothing appended later is
 * missed. A plain iterator: buffered events come back without waiting, and only an empty backlog
 * costs a promise to wait on (an async generator cost a step per event). It pushes too: given a
 * sink, it hands each event over as it is appended (see pushing.ts), which is how a run's own
 * stream reaches its socket.
 */
class Reader implements PushingIterator<LoggedEvent> {
  private nextId: number;
  /** The pending `next`'s resolve, while it waits for an event. */
  private waiting: ((result: IteratorResult<LoggedEvent>) => void) | undefined;
  /** Where events go as they are appended, while pushing. */
  private sink: Sink<LoggedEvent> | undefined;
  private finished = false;
  private readonly onWake = () => {
    if (this.sink) return this.push();
    const resolve = this.waiting;
    if (!resolve) return;
    const result = this.take();
    if (!result) return;
    this.waiting = undefined;
    resolve(result);
  };

  constructor(
    private readonly record: RunRecord,
    afterId: number,
    private readonly signal: AbortSignal,
  ) {
    this.nextId = afterId + 1;
    record.readers.add(this.onWake);
    signal.addEventListener('abort', this.onWake);
  }

  /**
   * Not an async function: a reader of a slow run waits here from one event to the next, and an
   * async function's suspended frame (with a promise and a closure per wait) was most of what a
   * waiting stream kept; now it is one promise, resolved by `onWake`.
   */
  next(): Promise<IteratorResult<LoggedEvent>> {
    const result = this.take();
    if (result) return Promise.resolve(result);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  pushTo(sink: Sink<LoggedEvent>): void {
    if (this.waiting) throw new Error('a reader pushes only while no `next` waits');
    this.sink = sink;
    this.push();
  }

  /**
   * Hands the sink what is there, until it is full or the events end. Called from `append` (through
   * `onWake`): whatever the sink does, the log's append must not fail for it, so a sink that throws
   * is ended with its error.
   */
  private push(): void {
    const sink = this.sink!;
    let failure: unknown;
    try {
      for (;;) {
        const result = this.take();
        if (!result) return;
        if (result.done) break;
        if (!sink.event(result.value)) {
          this.sink = undefined;
          return;
        }
      }
    } catch (error) {
      failure = error ?? new Error('a sink threw');
      this.stop();
    }
    this.sink = undefined;
    sink.end(failure);
  }

  /** The next result, or undefined while there is nothing to give yet. */
  private take(): IteratorResult<LoggedEvent> | undefined {
    if (this.finished || this.signal.aborted) return this.finish();
    const { events, ended } = this.record;
    if (this.nextId <= events.length) {
      const logged = events[this.nextId - 1]!;
      this.nextId++;
      // The terminal event is the last one this reader gives.
      if (isTerminalEvent(logged.event)) this.stop();
      return { done: false, value: logged };
    }
    return ended ? this.finish() : undefined;
  }

  async return(): Promise<IteratorResult<LoggedEvent>> {
    // A `next` still waiting ends too.
    const waiting = this.waiting;
    this.waiting = undefined;
    this.sink = undefined;
    const done = this.finish();
    waiting?.(done);
    return done;
  }

  private finish(): IteratorResult<LoggedEvent> {
    this.stop();
    return { done: true, value: undefined };
  }

  private stop(): void {
    if (this.finished) return;
    this.finished = true;
    this.record.readers.delete(this.onWake);
    this.signal.removeEventListener('abort', this.onWake);
  }
}

/** About how much memory an event holds, bytes: its text, and for the rare large ones their JSON. */
function sizeOf(event: StreamEvent): number {
  switch (event.type) {
    case 'text-delta':
    case 'reasoning-delta':
      return 64 + event.delta.length * 2;
    case 'message-end':
    case 'tool-call':
    case 'tool-result':
    case 'tool-approval':
      return 64 + (JSON.stringify(event)?.length ?? 0) * 2;
    default:
      return 128;
  }
}
