import type { StreamEvent } from '@threadline/client';
import { describe, expect, it } from 'vitest';
import { percentile } from './report.js';
import { compareWithLog } from './resume-check.js';

const words = ['lorem', ' ipsum', ' dolor'];
const run: StreamEvent[] = [
  { type: 'run-start', runId: '01900000-0000-7000-8000-000000000000', sessionId: null, sessionCreated: false, agent: 'chat', model: 'local/echo' },
  ...words.map((delta): StreamEvent => ({ type: 'text-delta', delta })),
  { type: 'run-finish', usage: { inputTokens: 1, outputTokens: 3 }, finishReason: 'stop', durationMs: 5 },
];
const log = run.map((data, index) => ({ id: String(index + 1), data }));

describe('compareWithLog', () => {
  it('accepts a stream that delivered every logged event once, in order', () => {
    expect(compareWithLog(run, log)).toEqual([]);
  });

  it('reports a missing event, a repeated one, a short stream and a gap in the log', () => {
    expect(compareWithLog([run[0]!, run[1]!, run[3]!, run[4]!], log)).toEqual([
      'event 3 differs after resuming: got text-delta " dolor", the run logged text-delta " ipsum"',
    ]);
    expect(compareWithLog([run[0]!, run[1]!, run[1]!, run[2]!, run[3]!, run[4]!], log)[0]).toMatch(/^event 3 differs/);
    expect(compareWithLog(run.slice(0, 3), log)).toEqual(["the resumed stream stopped after 3 of the run's 5 events"]);
    expect(compareWithLog(run, log.filter((event) => event.id !== '2'))[0]).toBe("the server's log skips from event 1 to event 3");
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 20 }, (_, index) => 20 - index);
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 100)]).toEqual([10, 19, 20]);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});
