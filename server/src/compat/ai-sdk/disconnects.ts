/**
 * When a run started through `/api/chat` loses its last reader. useChat's `stop()` aborts the fetch,
 * and so does a page reload, which the page follows with `GET /api/chat/{id}/stream` (useChat's
 * `resume`): the server cannot tell them apart when the connection closes. So a run whose last
 * reader left is cancelled only when no reader comes back within a grace period: a reload resumes
 * the run, a stop cancels it (after the grace). The POST's `onDisconnect: 'continue'` opts a run out.
 */
export class DisconnectWatch {
  private readonly runs = new Map<string, { userId: string; readers: number; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly graceMs: number,
    private readonly cancel: (userId: string, runId: string) => void,
  ) {}

  /**
   * A reader of the run's stream attached. Tell the handle how it went: `left()` when the client
   * went away before the run's end (the grace starts once no reader is left), `ended()` when the
   * stream ended by itself (the run ended, or paused for approvals). `start` watches a run not
   * watched yet (a POST that asks for it); a resume only joins a watch in progress.
   */
  attach(userId: string, runId: string, start: boolean): { left(): void; ended(): void } {
    const existing = this.runs.get(runId);
    if (!existing && !start) return { left: () => {}, ended: () => {} };
    const watched = existing ?? { userId, readers: 0 };
    clearTimeout(watched.timer);
    watched.timer = undefined;
    watched.readers += 1;
    this.runs.set(runId, watched);
    let done = false;
    const detach = (cancelLater: boolean) => {
      if (done) return;
      done = true;
      watched.readers -= 1;
      if (watched.readers > 0) return;
      if (!cancelLater) return void this.runs.delete(runId);
      watched.timer = setTimeout(() => {
        this.runs.delete(runId);
        this.cancel(watched.userId, runId);
      }, this.graceMs);
      watched.timer.unref();
    };
    return { left: () => detach(true), ended: () => detach(false) };
  }

  /** Stops every pending cancel (the server is closing). */
  clear(): void {
    for (const watched of this.runs.values()) clearTimeout(watched.timer);
    this.runs.clear();
  }
}
