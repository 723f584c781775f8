import { isTerminalEvent, type StreamEvent } from '@threadline/shared';

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
  /** Drops every log and timer (and closes connections). */
  close(): Promise<void>;
}

interface RunRecord {
  events: LoggedEvent[];
  readers: Set<() => void>;
  ended: boolean;
  expiry?: NodeJS.Timeout;
}

/** The single-process event log: arrays in memory, dropped `retentionMs` after the run ends. */
export class InMemoryEventLog implements RunEventLog {
  private readonly runs = new Map<string, RunRecord>();

  constructor(private readonly retentionMs: number) {}

  open(runId: string, earlier: LoggedEvent[] = []): void {
    if (!this.runs.has(runId)) this.runs.set(runId, { events: [...earlier], readers: new Set(), ended: false });
  }

  snapshot(runId: string): LoggedEvent[] {
    return [...(this.runs.get(runId)?.events ?? [])];
  }

  append(runId: string, event: StreamEvent): LoggedEvent {
    const record = this.runs.get(runId);
    if (!record || record.ended) throw new Error(`run ${runId} has no open event log`);
    const logged = { id: record.events.length + 1, event };
    record.events.push(logged);
    if (isTerminalEvent(event)) {
      record.ended = true;
      record.expiry = setTimeout(() => this.runs.delete(runId), this.retentionMs);
      record.expiry.unref();
    }
    for (const wake of record.readers) wake();
    return logged;
  }

  async has(runId: string): Promise<boolean> {
    return this.holds(runId);
  }

  /** True while this process holds the run's events. */
  holds(runId: string): boolean {
    return this.runs.has(runId);
  }

  async *follow(runId: string, afterId: number, signal: AbortSignal): AsyncIterable<LoggedEvent> {
    const record = this.runs.get(runId);
    if (!record) return;
    let wake: (() => void) | undefined;
    const reader = () => wake?.();
    record.readers.add(reader);
    signal.addEventListener('abort', reader);
    try {
      let next = afterId + 1;
      while (!signal.aborted) {
        while (next <= record.events.length) {
          const logged = record.events[next - 1]!;
          next++;
          yield logged;
          if (isTerminalEvent(logged.event) || signal.aborted) return;
        }
        if (record.ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      record.readers.delete(reader);
      signal.removeEventListener('abort', reader);
    }
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
  }
}
