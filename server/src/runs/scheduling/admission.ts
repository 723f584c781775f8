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
  /** Runs executing, by id: their user. */
  running: Map<string, string>;
  /** Runs executing, by user (kept with `running`). */
  runningByUser: Map<string, number>;
  waiting: Waiter[];
  /** Per user, the admission count when they were last admitted (round-robin between users). */
  lastAdmitted: Map<string, number>;
  admissions: number;
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
 * the fewest runs executing on that provider, then the user served least recently (round-robin,
 * so one user's burst cannot starve another), then the earliest. One user's runs never hold more
 * than `userShare` of a provider's slots (rounded up, at least one), so a user who opens many long
 * runs leaves room for the others' (runs cannot be preempted, so the bound holds at admission).
 * Waiters hear their position (1 = next) whenever it changes.
 */
export class AdmissionQueue {
  private readonly queues = new Map<string, ProviderQueue>();
  private sequence = 0;

  constructor(
    private readonly limit: (provider: string) => number,
    private readonly userShare = 1,
  ) {}

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
      if (finish(queue, entry.runId)) this.admitNext(entry.provider, queue);
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
          start(queue, entry.runId, entry.userId);
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

  /**
   * A slot now, without waiting, when one is free and no run waits for it (a waiting run keeps its
   * turn): the release, else undefined (then `acquire`).
   */
  tryAcquire(entry: { runId: string; userId: string; provider: string }): (() => void) | undefined {
    const queue = this.queueOf(entry.provider);
    if (queue.waiting.length > 0) return undefined;
    const limit = this.limit(entry.provider);
    if (queue.running.size >= limit) return undefined;
    if ((queue.runningByUser.get(entry.userId) ?? 0) >= Math.max(1, Math.ceil(limit * this.userShare))) return undefined;
    start(queue, entry.runId, entry.userId);
    return () => {
      if (finish(queue, entry.runId)) this.admitNext(entry.provider, queue);
    };
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
    if (!queue) this.queues.set(provider, (queue = { running: new Map(), runningByUser: new Map(), waiting: [], lastAdmitted: new Map(), admissions: 0 }));
    return queue;
  }

  private admitNext(provider: string, queue: ProviderQueue): void {
    const limit = this.limit(provider);
    const perUser = Math.max(1, Math.ceil(limit * this.userShare));
    while (queue.waiting.length > 0 && queue.running.size < limit) {
      const next = this.order(queue).find((waiter) => (queue.runningByUser.get(waiter.userId) ?? 0) < perUser);
      if (!next) break;
      queue.waiting.splice(queue.waiting.indexOf(next), 1);
      next.admit();
    }
    this.announcePositions(queue);
  }

  /** The waiters in the order they will be admitted, simulating each admission's effect on fairness. */
  private order(queue: ProviderQueue): Waiter[] {
    const fairness: Fairness = { running: new Map(queue.runningByUser), lastAdmitted: new Map(queue.lastAdmitted) };
    let admissions = queue.admissions;
    const remaining = [...queue.waiting];
    const ordered: Waiter[] = [];
    while (remaining.length > 0) {
      let best = 0;
      for (let index = 1; index < remaining.length; index++) {
        if (before(remaining[index]!, remaining[best]!, fairness)) best = index;
      }
      const next = remaining.splice(best, 1)[0]!;
      ordered.push(next);
      fairness.running.set(next.userId, (fairness.running.get(next.userId) ?? 0) + 1);
      fairness.lastAdmitted.set(next.userId, ++admissions);
    }
    return ordered;
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

/** The run executes now (admitted). */
function start(queue: ProviderQueue, runId: string, userId: string): void {
  queue.running.set(runId, userId);
  queue.runningByUser.set(userId, (queue.runningByUser.get(userId) ?? 0) + 1);
  queue.lastAdmitted.set(userId, ++queue.admissions);
}

/** The run no longer executes; false when it did not (released twice). */
function finish(queue: ProviderQueue, runId: string): boolean {
  const userId = queue.running.get(runId);
  if (userId === undefined) return false;
  queue.running.delete(runId);
  const count = (queue.runningByUser.get(userId) ?? 1) - 1;
  if (count > 0) queue.runningByUser.set(userId, count);
  else queue.runningByUser.delete(userId);
  return true;
}

/** Per user: runs executing, and when they were last admitted. */
interface Fairness {
  running: Map<string, number>;
  lastAdmitted: Map<string, number>;
}

/** True when `a` should be admitted before `b`. */
function before(a: Waiter, b: Waiter, fairness: Fairness): boolean {
  if (a.priority !== b.priority) return a.priority < b.priority;
  const aLoad = fairness.running.get(a.userId) ?? 0;
  const bLoad = fairness.running.get(b.userId) ?? 0;
  if (aLoad !== bLoad) return aLoad < bLoad;
  const aServed = fairness.lastAdmitted.get(a.userId) ?? 0;
  const bServed = fairness.lastAdmitted.get(b.userId) ?? 0;
  if (aServed !== bServed) return aServed < bServed;
  return a.sequence < b.sequence;
}
