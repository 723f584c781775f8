/**
 * Runs of one session execute one after another, in the order they were sent. Each session has a
 * line of run ids (the executing one first); a run waits until it is at the front, hearing its
 * position (1 = next) whenever it changes, or until its signal aborts.
 */
export class SessionOrder {
  private readonly lines = new Map<string, string[]>();
  /** Runs waiting for their turn: call to re-check. */
  private readonly waiters = new Map<string, () => void>();

  /** True when the session has a run executing or waiting. */
  busy(sessionId: string): boolean {
    return (this.lines.get(sessionId)?.length ?? 0) > 0;
  }

  /** Runs waiting behind another run of their session. */
  waiting(): number {
    let count = 0;
    for (const line of this.lines.values()) count += Math.max(0, line.length - 1);
    return count;
  }

  /** Joins the session's line and resolves when it is this run's turn (or the signal aborted). */
  enter(sessionId: string, runId: string, signal: AbortSignal, onPosition: (position: number) => void): Promise<void> {
    let line = this.lines.get(sessionId);
    if (!line) this.lines.set(sessionId, (line = []));
    line.push(runId);
    if (line[0] === runId) return Promise.resolve();
    let announced = line.indexOf(runId);
    onPosition(announced);
    const queue = line;
    return new Promise((resolve) => {
      const check = (position?: number) => {
        if (queue[0] === runId || signal.aborted) {
          this.waiters.delete(runId);
          signal.removeEventListener('abort', onAbort);
          resolve();
        } else if (position !== undefined && position !== announced) {
          announced = position;
          onPosition(position);
        }
      };
      const onAbort = () => check();
      this.waiters.set(runId, () => check(queue.indexOf(runId)));
      signal.addEventListener('abort', onAbort);
    });
  }

  /** Leaves the session's line (the run ended, or never began); the next runs move up. */
  leave(sessionId: string, runId: string): void {
    const line = this.lines.get(sessionId);
    if (!line) return;
    const index = line.indexOf(runId);
    if (index !== -1) line.splice(index, 1);
    if (line.length === 0) this.lines.delete(sessionId);
    for (const waiting of line) this.waiters.get(waiting)?.();
  }
}
