import type { StreamEvent } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
import { InMemoryEventLog, type LoggedEvent } from './event-log.js';

// The single-process log's readers. The Redis log's tests check that it follows a run exactly as
// this one does; these check the reader itself: backlog then live, its end, and what it leaves.

const delta = (text: string): StreamEvent => ({ type: 'text-delta', delta: text });
const finish: StreamEvent = { type: 'run-finish', usage: { inputTokens: 1, outputTokens: 3 }, finishReason: 'stop', durationMs: 5 };

/** Whether `promise` has settled by the next turn of the event loop. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('the in-memory event log', () => {
  it('gives a reader the backlog after its id, then live events in order, ending after the terminal event', async () => {
    const log = new InMemoryEventLog(60_000);
    log.open('run');
    log.append('run', delta('a'));
    log.append('run', delta('b'));
    const reader = log.follow('run', 1, new AbortController().signal)[Symbol.asyncIterator]();
    expect(await reader.next()).toEqual({ done: false, value: { id: 2, event: delta('b') } });
    const waiting = reader.next();
    expect(await settledSoon(waiting)).toBe(false);
    log.append('run', delta('c'));
    expect(await waiting).toEqual({ done: false, value: { id: 3, event: delta('c') } });
    log.append('run', finish);
    expect(await reader.next()).toEqual({ done: false, value: { id: 4, event: finish } });
    expect(await reader.next()).toEqual({ done: true, value: undefined });
    expect(log.readerCount()).toBe(0);
    await log.close();
  });

  it('ends a waiting reader when its signal aborts, and when it is returned, leaving no listener behind', async () => {
    const log = new InMemoryEventLog(60_000);
    log.open('run');
    const controller = new AbortController();
    const aborted = log.follow('run', 0, controller.signal)[Symbol.asyncIterator]();
    const returned = log.follow('run', 0, new AbortController().signal)[Symbol.asyncIterator]();
    const waits = [aborted.next(), returned.next()];
    expect(log.readerCount()).toBe(2);
    controller.abort();
    expect(await waits[0]).toEqual({ done: true, value: undefined });
    expect(await returned.return!()).toEqual({ done: true, value: undefined });
    expect(await waits[1]).toEqual({ done: true, value: undefined });
    expect(log.readerCount()).toBe(0);
    // Appends after the end reach neither.
    log.append('run', delta('late'));
    expect(await aborted.next()).toEqual({ done: true, value: undefined });
    await log.close();
  });

  it('wakes every waiting reader of a run once per append, each getting every event', async () => {
    const log = new InMemoryEventLog(60_000);
    log.open('run');
    const readers = Array.from({ length: 3 }, () => log.follow('run', 0, new AbortController().signal));
    const read = readers.map(async (reader) => {
      const seen: LoggedEvent[] = [];
      for await (const logged of reader) seen.push(logged);
      return seen.map((logged) => logged.id);
    });
    for (const text of ['x', 'y', 'z']) {
      log.append('run', delta(text));
      await new Promise((resolve) => setImmediate(resolve));
    }
    log.append('run', finish);
    expect(await Promise.all(read)).toEqual([
      [1, 2, 3, 4],
      [1, 2, 3, 4],
      [1, 2, 3, 4],
    ]);
    await log.close();
  });
});
