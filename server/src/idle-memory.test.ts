import { setTimeout as sleep } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { fullCollection, IdleMemoryRelease } from './idle-memory.js';

const MiB = 2 ** 20;

/**
 * A watcher over a heap and an idleness the test sets, counting collections. Each collection
 * gives back half of what is above 40 MiB, as V8's do after a burst, until little is left.
 */
function watcher(growthBytes = 64 * MiB) {
  const state = { idle: true, heap: 100 * MiB, held: 0, collected: 0 };
  const release = new IdleMemoryRelease({
    isIdle: () => state.idle,
    growthBytes,
    heapBytes: () => state.heap,
    heldBytes: () => state.held,
    collect: () => {
      state.collected++;
      state.heap = 40 * MiB + Math.floor((state.heap - 40 * MiB) / 2);
    },
    pauseMs: 2,
  });
  return { state, release };
}

describe('IdleMemoryRelease', () => {
  it('collects once the server has been idle for a whole interval after the heap grew, until a collection gives back little', async () => {
    const { state, release } = watcher();
    release.check(); // the low point: 100 MiB
    state.heap = 300 * MiB; // a burst
    state.idle = false;
    release.check();
    expect(state.collected).toBe(0);
    state.idle = true;
    release.check(); // idle for one check only: the burst may just have paused
    expect(state.collected).toBe(0);
    release.check();
    expect(state.collected).toBe(1);
    expect(state.heap).toBe(170 * MiB);
    // 300 → 170 → 105 → 72.5 → 56.25 → 48.1 → 44.1 (the sixth gave back 4 MiB or more, but six is the most)
    await expect.poll(() => state.collected).toBe(6);
    await sleep(20);
    expect(state.collected).toBe(6);
    const low = state.heap;
    release.check();
    release.check();
    expect(state.collected).toBe(6); // the new low point
    state.heap = low + 60 * MiB; // less than 64 MiB of growth
    release.check();
    expect(state.collected).toBe(6);
    state.heap = low + 64 * MiB;
    release.check();
    expect(state.collected).toBe(7);
  });

  it('collects after a burst that began before its first check (a server busy from its start)', async () => {
    const { state, release } = watcher(); // made at 100 MiB: the low point
    state.idle = false;
    state.heap = 300 * MiB;
    release.check();
    state.idle = true;
    release.check();
    release.check();
    expect(state.collected).toBe(1);
    await expect.poll(() => state.collected).toBe(6);
  });

  it('collects again once what a burst left on purpose (finished runs\' events) has been let go', async () => {
    const { state, release } = watcher();
    state.idle = false;
    state.heap = 300 * MiB;
    state.held = 30 * MiB; // the burst's runs ended: their events stay replayable for a while
    release.check();
    state.idle = true;
    release.check();
    release.check();
    await expect.poll(() => state.collected).toBe(6);
    await sleep(20);
    // Their retention time passes: garbage now, but the heap does not grow, so growth alone waits forever.
    state.held = 20 * MiB; // 10 MiB let go: less than a quarter of 64
    release.check();
    release.check();
    expect(state.collected).toBe(6);
    state.held = 14 * MiB; // 16 MiB let go since the last collection
    release.check();
    expect(state.collected).toBe(7);
    await sleep(20);
    const after = state.collected;
    // The peak is now what was held at that collection: a run ending and expiring later counts from there.
    state.held = 20 * MiB;
    release.check();
    state.held = 5 * MiB;
    release.check();
    expect(state.collected).toBe(after);
    state.held = 0;
    release.check();
    expect(state.collected).toBe(after + 1);
  });

  it('stops collecting once a collection gives back less than 4 MiB', async () => {
    const { state, release } = watcher();
    release.check();
    state.heap = 164 * MiB; // → 102 → 71 → 55.5 → 47.75 → 43.9 (gave back 3.9)
    release.check();
    await expect.poll(() => state.collected).toBe(5);
    await sleep(20);
    expect(state.collected).toBe(5);
  });

  it('never collects while streams or runs are active, however large the heap', () => {
    const { state, release } = watcher();
    state.idle = false;
    release.check();
    state.heap = 2000 * MiB;
    for (let check = 0; check < 5; check++) release.check();
    expect(state.collected).toBe(0);
  });

  it('stops a sequence when work comes back', async () => {
    const { state, release } = watcher();
    release.check();
    state.heap = 300 * MiB;
    release.check();
    expect(state.collected).toBe(1);
    state.idle = false;
    await sleep(20);
    expect(state.collected).toBe(1);
  });

  it('does nothing with a growth of 0 (THREADLINE_IDLE_GC_MB=0)', () => {
    const { release } = watcher(0);
    release.start();
    expect((release as unknown as { timer?: unknown }).timer).toBeUndefined();
    release.stop();
  });

  it("takes V8's own full collection without leaving gc exposed to other contexts", async () => {
    const collect = fullCollection();
    expect(collect).toBeTypeOf('function');
    expect(runInNewContext('typeof gc')).toBe('undefined');
    // A WeakRef's target lives at least until the task that made it ends.
    const garbage = new WeakRef({ payload: new Array(1000).fill('garbage') });
    await sleep(0);
    collect!();
    expect(garbage.deref()).toBeUndefined();
  });
});
