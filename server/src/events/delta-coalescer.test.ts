import type { StreamEvent } from '@threadline/shared';
import { describe, expect, it, vi } from 'vitest';
import { DeltaCoalescer } from './delta-coalescer.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('DeltaCoalescer', () => {
  it('merges deltas of one kind within a turn, keeps order across kinds and other events', async () => {
    const published: StreamEvent[] = [];
    const coalescer = new DeltaCoalescer((event) => published.push(event));
    coalescer.emit({ type: 'reasoning-delta', delta: 'hm' });
    coalescer.emit({ type: 'reasoning-delta', delta: 'm' });
    coalescer.emit({ type: 'text-delta', delta: 'Hel' });
    coalescer.emit({ type: 'text-delta', delta: 'lo' });
    expect(published).toEqual([{ type: 'reasoning-delta', delta: 'hmm' }]);
    await nextTurn();
    expect(published.at(-1)).toEqual({ type: 'text-delta', delta: 'Hello' });
    coalescer.emit({ type: 'text-delta', delta: ' world' });
    coalescer.emit({ type: 'tool-call', callId: 'c', name: 'n', input: {} });
    expect(published.slice(2)).toEqual([
      { type: 'text-delta', delta: ' world' },
      { type: 'tool-call', callId: 'c', name: 'n', input: {} },
    ]);
  });

  it('publishes deltas of separate turns separately', async () => {
    const published: StreamEvent[] = [];
    const coalescer = new DeltaCoalescer((event) => published.push(event));
    for (const word of ['a', ' b', ' c']) {
      coalescer.emit({ type: 'text-delta', delta: word });
      await nextTurn();
    }
    expect(published).toHaveLength(3);
    coalescer.emit({ type: 'text-delta', delta: ' d' });
    coalescer.flush();
    expect(published.at(-1)).toEqual({ type: 'text-delta', delta: ' d' });
  });

  it('flushes every run\'s pending delta with one Immediate per turn, not one per run', async () => {
    await nextTurn(); // a flush scheduled by an earlier test has run
    const published: string[] = [];
    const coalescers = Array.from({ length: 100 }, (_, index) => new DeltaCoalescer((event) => published.push(`${index}:${(event as { delta: string }).delta}`)));
    const spy = vi.spyOn(globalThis, 'setImmediate');
    try {
      for (const [index, coalescer] of coalescers.entries()) {
        coalescer.emit({ type: 'text-delta', delta: 'a' });
        coalescer.emit({ type: 'text-delta', delta: String(index) });
      }
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    expect(published).toEqual([]);
    await nextTurn();
    expect(published).toEqual(coalescers.map((_, index) => `${index}:a${index}`));
  });
});
