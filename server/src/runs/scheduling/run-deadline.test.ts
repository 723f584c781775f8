import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunDeadline } from './run-deadline.js';

describe('RunDeadline', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('expires after the limit of active time; paused time does not count', () => {
    const expired = vi.fn();
    const deadline = new RunDeadline(1000, expired);
    vi.advanceTimersByTime(600);
    deadline.pause();
    vi.advanceTimersByTime(60_000);
    expect(expired).not.toHaveBeenCalled();
    expect(deadline.activeMs()).toBe(600);
    deadline.resume();
    vi.advanceTimersByTime(399);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it('starts from the time already used (a run resumed after a restart) and clear stops it', () => {
    const expired = vi.fn();
    const resumed = new RunDeadline(1000, expired, 900);
    expect(resumed.activeMs()).toBe(900);
    vi.advanceTimersByTime(100);
    expect(expired).toHaveBeenCalledTimes(1);
    const cleared = new RunDeadline(1000, expired);
    cleared.clear();
    vi.advanceTimersByTime(5000);
    expect(expired).toHaveBeenCalledTimes(1);
  });
});
