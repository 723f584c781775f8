import type { Logger } from 'pino';

/**
 * Work a run starts after its end (a title), outside the run's lifetime: never awaited by the run,
 * failures only logged, stopped and awaited at shutdown.
 */
export class BackgroundTasks {
  private readonly tasks = new Set<Promise<void>>();
  private readonly controller = new AbortController();

  constructor(private readonly logger: Logger) {}

  /** Starts `task` now and returns at once. */
  run(name: string, task: (signal: AbortSignal) => Promise<void>): void {
    if (this.controller.signal.aborted) return;
    const running = task(this.controller.signal)
      .catch((error: unknown) => {
        if (!this.controller.signal.aborted) this.logger.warn({ err: error, task: name }, 'background task failed');
      })
      .finally(() => this.tasks.delete(running));
    this.tasks.add(running);
  }

  /** Resolves when every task started so far has ended. */
  async settled(): Promise<void> {
    while (this.tasks.size > 0) await Promise.all([...this.tasks]);
  }

  /** Aborts every task, refuses new ones, and waits for them to end. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.settled();
  }
}
