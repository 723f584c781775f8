/**
 * A run's maximum duration, counted over the time it is active: the clock stops while the run
 * waits for the user's approval (which may take days), and a run resumed after a restart keeps the
 * time it had already used.
 */
export class RunDeadline {
  private timer: NodeJS.Timeout | undefined;
  private since: number | undefined;

  constructor(
    private readonly limitMs: number,
    private readonly onExpired: () => void,
    private usedMs = 0,
  ) {
    this.resume();
  }

  /** Active time so far, ms. */
  activeMs(): number {
    return this.usedMs + (this.since === undefined ? 0 : Date.now() - this.since);
  }

  pause(): void {
    if (this.since === undefined) return;
    this.usedMs = this.activeMs();
    this.since = undefined;
    clearTimeout(this.timer);
  }

  resume(): void {
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.timer = setTimeout(this.onExpired, Math.max(0, this.limitMs - this.usedMs));
  }

  clear(): void {
    this.pause();
  }
}
