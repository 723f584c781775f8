import type { StreamEvent } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
import { InMemoryEventLog, type LoggedEvent } from './event-log.js';
import type { PushingIterator, Sink } from './pushing.js';

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

  describe('pushing to a sink', () => {
    /** A sink that records what it is given, taking `room` events before it says it is full. */
    function recorder(room = Number.POSITIVE_INFINITY) {
      const seen: number[] = [];
      const ends: unknown[] = [];
      const sink: Sink<LoggedEvent> = {
        event: (logged) => {
          seen.push(logged.id);
          return seen.length < room;
        },
        end: (error) => void ends.push(error ?? 'done'),
      };
      return { seen, ends, sink };
    }
    const reader = (log: InMemoryEventLog, afterId: number, signal = new AbortController().signal) =>
      log.follow('run', afterId, signal)[Symbol.asyncIterator]() as PushingIterator<LoggedEvent>;

    it('hands over the backlog at once, then each event as it is appended, and ends after the terminal one', async () => {
      const log = new InMemoryEventLog(60_000);
      log.open('run');
      log.append('run', delta('a'));
      log.append('run', delta('b'));
      const { seen, ends, sink } = recorder();
      reader(log, 1).pushTo!(sink);
      expect(seen).toEqual([2]);
      log.append('run', delta('c'));
      expect(seen).toEqual([2, 3]);
      expect(ends).toEqual([]);
      log.append('run', finish);
      expect(seen).toEqual([2, 3, 4]);
      expect(ends).toEqual(['done']);
      expect(log.readerCount()).toBe(0);
      await log.close();
    });

    it('stops when the sink is full and goes on from its place when asked again, by push or by pull', async () => {
      const log = new InMemoryEventLog(60_000);
      log.open('run');
      for (const text of ['a', 'b', 'c']) log.append('run', delta(text));
      const events = reader(log, 0);
      const first = recorder(2);
      events.pushTo!(first.sink);
      expect(first.seen).toEqual([1, 2]);
      // Full: appends wait in the log.
      log.append('run', delta('d'));
      expect(first.seen).toEqual([1, 2]);
      expect(await events.next()).toEqual({ done: false, value: { id: 3, event: delta('c') } });
      const second = recorder();
      events.pushTo!(second.sink);
      expect(second.seen).toEqual([4]);
      log.append('run', finish);
      expect(second.seen).toEqual([4, 5]);
      expect([first.ends, second.ends]).toEqual([[], ['done']]);
      await log.close();
    });

    it("ends the sink when the reader's signal aborts, and leaves the run's appends unharmed by a sink that throws", async () => {
      const log = new InMemoryEventLog(60_000);
      log.open('run');
      const controller = new AbortController();
      const aborted = recorder();
      reader(log, 0, controller.signal).pushTo!(aborted.sink);
      const failure = new Error('cannot write');
      const ends: unknown[] = [];
      reader(log, 0).pushTo!({
        event: () => {
          throw failure;
        },
        end: (error) => void ends.push(error),
      });
      expect(log.readerCount()).toBe(2);
      expect(() => log.append('run', delta('a'))).not.toThrow();
      expect(ends).toEqual([failure]);
      controller.abort();
      expect(aborted.seen).toEqual([1]);
      expect(aborted.ends).toEqual(['done']);
      expect(log.readerCount()).toBe(0);
      expect(log.snapshot('run').map((logged) => logged.id)).toEqual([1]);
      await log.close();
    });

    it('ends a pushing reader when the log closes', async () => {
      const log = new InMemoryEventLog(60_000);
      log.open('run');
      const { ends, sink } = recorder();
      reader(log, 0).pushTo!(sink);
      await log.close();
      expect(ends).toEqual(['done']);
    });
  });
});
