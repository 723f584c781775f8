import type { StreamEvent } from '@threadline/client';
import { describe, expect, it } from 'vitest';
import { applyEvent, failRun, hasEnded, joinedRun, loadPendingSends, pendingSends, savePendingSends, sentRun, statusOf } from './chat-runs.js';

/** A Storage in memory (Node has no sessionStorage). */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

const start: StreamEvent = { type: 'run-start', runId: 'run-1', sessionId: 's', sessionCreated: false, agent: 'assistant', model: 'local/echo' };
const delta = (text: string): StreamEvent => ({ type: 'text-delta', delta: text });

describe('the runs useChat follows', () => {
  it('applies each event once: a replay after re-attaching changes nothing', () => {
    let run = sentRun({ requestId: 'r', sessionId: 's', content: 'hi', runId: null });
    run = applyEvent(run, 1, start);
    run = applyEvent(run, 2, delta('Echo:'));
    const replayed = [applyEvent(run, 1, start), applyEvent(run, 2, delta('Echo:'))];
    expect(replayed.every((same) => same === run)).toBe(true);
    run = applyEvent(run, 3, delta(' hi'));
    expect(run).toMatchObject({ runId: 'run-1', lastEventId: 3, answer: { text: 'Echo: hi', status: 'streaming' } });
    expect(hasEnded(run)).toBe(false);
  });

  it('ends with the terminal event or a broken subscription, and nothing changes an ended run', () => {
    const joined = applyEvent(joinedRun('s', 'run-1'), 1, start);
    const cancelled = applyEvent(joined, 2, { type: 'run-cancel', reason: 'stopped' });
    expect([hasEnded(cancelled), statusOf(cancelled)]).toEqual([true, 'cancelled']);
    expect(failRun(cancelled, new Error('gone'))).toBe(cancelled);
    const broken = failRun(joined, new Error('gone'));
    expect([hasEnded(broken), statusOf(broken), broken.connectionError?.message]).toEqual([true, 'failed', 'gone']);
    expect(applyEvent(broken, 2, delta('late'))).toBe(broken);
  });

  it('keeps the unended sends of a session, and only those, for a reload', () => {
    const storage = memoryStorage();
    const open = applyEvent(sentRun({ requestId: 'a', sessionId: 's', content: 'one', runId: null, model: 'local/echo' }), 1, start);
    const ended = failRun(sentRun({ requestId: 'b', sessionId: 's', content: 'two', runId: null }), new Error('x'));
    savePendingSends(storage, 's', pendingSends([open, ended, joinedRun('s', 'run-9')]));
    expect(loadPendingSends(storage, 's')).toEqual([{ requestId: 'a', sessionId: 's', content: 'one', runId: 'run-1', model: 'local/echo' }]);
    expect(loadPendingSends(storage, 'other')).toEqual([]);
    savePendingSends(storage, 's', []);
    expect(storage.length).toBe(0);
    storage.setItem('threadline.pending-sends.s', '{not json');
    expect(loadPendingSends(storage, 's')).toEqual([]);
  });

  it('keeps an unended edit or regenerate with what it branches from, so a reload starts it again by its requestId', () => {
    const storage = memoryStorage();
    const edit = sentRun({ requestId: 'e', sessionId: 's', content: 'better', runId: null, branch: { kind: 'edit', messageId: 'm-1' } });
    const regenerate = sentRun({ requestId: 'g', sessionId: 's', content: '', runId: null, branch: { kind: 'regenerate', messageId: 'm-2' } });
    // A regenerate shows no question of its own: the history holds it.
    expect([edit.content, regenerate.content]).toEqual(['better', null]);
    savePendingSends(storage, 's', pendingSends([edit, regenerate]));
    expect(loadPendingSends(storage, 's').map(sentRun)).toEqual([edit, regenerate]);
    // A branch that is not one is dropped on the way back, the send kept.
    storage.setItem('threadline.pending-sends.s', JSON.stringify([{ requestId: 'x', sessionId: 's', content: 'hi', runId: null, branch: { kind: 'merge', messageId: 1 } }]));
    expect(loadPendingSends(storage, 's')).toEqual([{ requestId: 'x', sessionId: 's', content: 'hi', runId: null }]);
  });
});
