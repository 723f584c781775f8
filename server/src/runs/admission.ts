/** A run waiting for a slot with its provider. */
interface Waiter {
  runId: string;
  userId: string;
  /** 1 (first) .. 10 (last). */
  priority: number;
  /** Arrival order, for FIFO among equals. */
  sequence: number;
  admit: () => void;
  onPosition: (position: number) => void;
  lastPosition?: number;
}

interface ProviderQueue {
  running: Map<string, string>;
  waiting: Waiter[];
}

/** Queue depth of one provider, for system.status. */
export interface QueueDepth {
  provider: string;
  running: number;
  queued: number;
  limit: number;
}

/**
 * Admission control: at most `limit(provider)` runs per provider execute at once; the rest wait.
 * The next run is the one with the best priority (1 first); among equals, the one whose user has
 * the fewest runs executing on that provider (so one user's burst cannot starve another), then
 * the earliest. Waiters hear their position (1 = next) whenever it changes.
 */
export class AdmissionQueue {
  private readonly queues = new Map<string, ProviderQueue>();
  private sequence = 0;

  constructor(private readonly limit: (provider: string) => number) {}

  /**
   * Resolves when the run may execute, with the function that frees its slot. Rejects with the
   * signal's reason when aborted while waiting (the run then leaves the queue).
   */
  acquire(
    entry: { runId: string; userId: string; provider: string; priority: number; signal: AbortSignal },
    onPosition: (position: number) => void,
  ): Promise<() => void> {
    entry.signal.throwIfAborted();
    const queue = this.queueOf(entry.provider);
    const release = () => {
      if (queue.running.delete(entry.runId)) this.admitNext(entry.provider, queue);
    };
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        runId: entry.runId,
        userId: entry.userId,
        priority: entry.priority,
        sequence: this.sequence++,
        onPosition,
        admit: () => {
          entry.signal.removeEventListener('abort', abandon);
          queue.running.set(entry.runId, entry.userId);
          resolve(release);
        },
      };
      const abandon = () => {
        const index = queue.waiting.indexOf(waiter);
        if (index === -1) return;
        queue.waiting.splice(index, 1);
        this.announcePositions(queue);
        reject(entry.signal.reason);
      };
      entry.signal.addEventListener('abort', abandon, { once: true });
      queue.waiting.push(waiter);
      this.admitNext(entry.provider, queue);
    });
  }

  depths(): QueueDepth[] {
    return [...this.queues.entries()].map(([provider, queue]) => ({
      provider,
      running: queue.running.size,
      queued: queue.waiting.length,
      limit: this.limit(provider),
    }));
  }

  private queueOf(provider: string): ProviderQueue {
    let queue = this.queues.get(provider);
    if (!queue) this.queues.set(provider, (queue = { running: new Map(), waiting: [] }));
    return queue;
  }

  private admitNext(provider: string, queue: ProviderQueue): void {
    while (queue.waiting.length > 0 && queue.running.size < this.limit(provider)) {
      const next = this.order(queue)[0]!;
      queue.waiting.splice(queue.waiting.indexOf(next), 1);
      next.admit();
    }
    this.announcePositions(queue);
  }

  /** The waiters in the order they will be admitted, simulating each admission's effect on fairness. */
  private order(queue: ProviderQueue): Waiter[] {
    const runningPerUser = new Map<string, number>();
    for (const userId of queue.running.values()) runningPerUser.set(userId, (runningPerUser.get(userId) ?? 0) + 1);
    const remaining = [...queue.waiting];
    const ordered: Waiter[] = [];
    while (remaining.length > 0) {
      let best = 0;
      for (let index = 1; index < remaining.length; index++) {
        if (this.before(remaining[index]!, remaining[best]!, runningPerUser)) best = index;
      }
      const [next] = remaining.splice(best, 1);
      ordered.push(next!);
      runningPerUser.set(next!.userId, (runningPerUser.get(next!.userId) ?? 0) + 1);
    }
    return ordered;
  }

  private before(a: Waiter, b: Waiter, runningPerUser: Map<string, number>): boolean {
    if (a.priority !== b.priority) return a.priority < b.priority;
    const aLoad = runningPerUser.get(a.userId) ?? 0;
    const bLoad = runningPerUser.get(b.userId) ?? 0;
    if (aLoad !== bLoad) return aLoad < bLoad;
    return a.sequence < b.sequence;
  }

  private announcePositions(queue: ProviderQueue): void {
    if (queue.waiting.length === 0) return;
    for (const [index, waiter] of this.order(queue).entries()) {
      if (waiter.lastPosition === index + 1) continue;
      waiter.lastPosition = index + 1;
      waiter.onPosition(index + 1);
    }
  }
}
