import type { StreamEvent } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
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
});
