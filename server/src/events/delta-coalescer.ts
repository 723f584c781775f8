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
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly publish: (event: StreamEvent) => void) {}

  emit(event: StreamEvent): void {
    if ((event.type === 'text-delta' || event.type === 'reasoning-delta') && (!this.pending || this.pending.type === event.type)) {
      // The first delta is kept as it came (emitters never touch an event again); merging makes a new one.
      this.pending = this.pending ? { type: event.type, delta: this.pending.delta + event.delta } : event;
      this.scheduled ??= setImmediate(() => this.flush());
      return;
    }
    this.flush();
    if (event.type === 'text-delta' || event.type === 'reasoning-delta') this.emit(event);
    else this.publish(event);
  }

  /** Publishes the pending delta now. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) this.publish(pending);
  }
}
