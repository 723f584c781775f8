import type { StreamEvent } from '@threadline/shared';

type DeltaEvent = Extract<StreamEvent, { type: 'text-delta' | 'reasoning-delta' }>;

/**
 * Merges text and reasoning deltas that arrive within one turn of the event loop into one event.
 * A provider's network chunk often carries several deltas, and a fast model yields many per tick;
 * each SSE frame costs far more than a longer string (about 3x per frame in tRPC), so coalescing is
 * the main lever when streams are many. Any other event flushes the pending delta first, so the
 * order of events and the concatenated text never change.
 */
export class DeltaCoalescer {
  private pending: DeltaEvent | undefined;

  constructor(private readonly publish: (event: StreamEvent) => void) {}

  emit(event: StreamEvent): void {
    if ((event.type === 'text-delta' || event.type === 'reasoning-delta') && (!this.pending || this.pending.type === event.type)) {
      // The first delta is kept as it came (emitters never touch an event again); merging makes a new one.
      if (this.pending) this.pending = { type: event.type, delta: this.pending.delta + event.delta };
      else {
        this.pending = event;
        due.add(this);
        scheduleFlush();
      }
      return;
    }
    this.flush();
    if (event.type === 'text-delta' || event.type === 'reasoning-delta') this.emit(event);
    else this.publish(event);
  }

  /** Publishes the pending delta now. */
  flush(): void {
    due.delete(this);
    const pending = this.pending;
    this.pending = undefined;
    if (pending) this.publish(pending);
  }
}

/**
 * Coalescers holding a delta, flushed together at the end of this turn: one `setImmediate` for
 * every run streaming in the turn, not one per run and delta (an Immediate and a closure per token).
 */
const due = new Set<DeltaCoalescer>();
let flushScheduled = false;

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushDue);
}

function flushDue(): void {
  flushScheduled = false;
  for (const coalescer of due) {
    try {
      coalescer.flush();
    } catch (error) {
      // One run's failing publish must not keep the others' deltas back; it surfaces as before, unhandled.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}
