import type { Message, StreamEvent } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
import { initialAnswerState, isAnswerEnded, reduceAnswer, type AnswerState } from './answer-state.js';

const runId = '01900000-0000-7000-8000-000000000001';
const sessionId = '01900000-0000-7000-8000-000000000002';
const start: StreamEvent = { type: 'run-start', runId, sessionId, sessionCreated: false, agent: 'assistant', model: 'local/echo' };
const usage = { inputTokens: 3, outputTokens: 5 };

/** The state after `events`, applied in order from the initial state. */
const reduceAll = (events: StreamEvent[], from: AnswerState = initialAnswerState) => events.reduce(reduceAnswer, from);

function storedMessage(content: string): Message {
  return {
    id: '01900000-0000-7000-8000-000000000003',
    sessionId,
    runId,
    role: 'assistant',
    content,
    parts: [{ type: 'text', text: content }],
    agent: 'assistant',
    model: 'local/echo',
    usage: { inputTokens: 3, outputTokens: 4 },
    status: 'complete',
    createdAt: new Date(0),
  };
}

describe('reduceAnswer', () => {
  it('starts connecting, with nothing', () => {
    expect(initialAnswerState).toMatchObject({ status: 'connecting', runId: null, text: '', reasoning: '', toolCalls: [] });
    expect(isAnswerEnded(initialAnswerState)).toBe(false);
  });

  it('builds a completed answer: text, reasoning, the stored message, usage and finish reason', () => {
    const message = storedMessage('Echo: hi there');
    const answer = reduceAll([
      start,
      { type: 'reasoning-delta', delta: 'let me ' },
      { type: 'reasoning-delta', delta: 'see' },
      { type: 'text-delta', delta: 'Echo: hi' },
      { type: 'text-delta', delta: ' there' },
      { type: 'message-end', message },
      { type: 'run-finish', usage, finishReason: 'stop', durationMs: 12 },
    ]);
    expect(answer).toEqual({
      ...initialAnswerState,
      status: 'completed',
      runId,
      sessionId,
      agent: 'assistant',
      model: 'local/echo',
      reasoning: 'let me see',
      text: 'Echo: hi there',
      message,
      usage,
      finishReason: 'stop',
    });
    expect(isAnswerEnded(answer)).toBe(true);
  });

  it('takes the usage of the stored message until run-finish gives the run’s', () => {
    const message = storedMessage('x');
    expect(reduceAll([start, { type: 'message-end', message }]).usage).toEqual(message.usage);
  });

  it('pairs tool calls with their results, in call order', () => {
    const answer = reduceAll([
      start,
      { type: 'tool-call', callId: 'a', name: 'calculator', input: { expression: '6 * 7' } },
      { type: 'tool-call', callId: 'b', name: 'current_time', input: {} },
      { type: 'tool-result', callId: 'b', output: '12:00', isError: false },
      { type: 'tool-result', callId: 'a', output: { error: 'boom' }, isError: true },
      { type: 'tool-result', callId: 'unknown', output: 1, isError: false },
    ]);
    expect(answer.toolCalls).toEqual([
      { callId: 'a', name: 'calculator', input: { expression: '6 * 7' }, result: { output: { error: 'boom' }, isError: true }, approval: null },
      { callId: 'b', name: 'current_time', input: {}, result: { output: '12:00', isError: false }, approval: null },
    ]);
  });

  it('waits while any call waits for approval and goes on once every one is decided', () => {
    const asked = reduceAll([
      start,
      { type: 'tool-call', callId: 'a', name: 'delete_file', input: { path: 'x' } },
      { type: 'tool-call', callId: 'b', name: 'delete_file', input: { path: 'y' } },
      { type: 'tool-approval', callId: 'a', name: 'delete_file', input: { path: 'x' } },
      { type: 'tool-approval', callId: 'b', name: 'delete_file', input: { path: 'y' } },
    ]);
    expect(asked.status).toBe('waiting');
    expect(asked.toolCalls.map((call) => call.approval)).toEqual([
      { decision: 'pending', reason: null },
      { decision: 'pending', reason: null },
    ]);
    const oneDecided = reduceAnswer(asked, { type: 'tool-decision', callId: 'a', approved: true, reason: null });
    expect(oneDecided.status).toBe('waiting');
    const bothDecided = reduceAnswer(oneDecided, { type: 'tool-decision', callId: 'b', approved: false, reason: 'not that one' });
    expect(bothDecided.status).toBe('streaming');
    expect(bothDecided.toolCalls.map((call) => call.approval)).toEqual([
      { decision: 'approved', reason: null },
      { decision: 'denied', reason: 'not that one' },
    ]);
  });

  it('follows the queue position until the answer streams, and agent changes', () => {
    const queued = reduceAll([start, { type: 'run-queued', position: 2 }, { type: 'run-queued', position: 1 }]);
    expect(queued).toMatchObject({ status: 'queued', queuePosition: 1 });
    const handedOff = reduceAll([{ type: 'agent-change', agent: 'planner' }, { type: 'agent-change', agent: 'writer' }, { type: 'text-delta', delta: 'x' }], queued);
    expect(handedOff).toMatchObject({ status: 'streaming', queuePosition: null, agent: 'writer', agentChanges: ['planner', 'writer'] });
  });

  it('ends as failed, interrupted or cancelled, with the error or the reason', () => {
    const failed = reduceAll([start, { type: 'run-error', code: 'rate_limited', message: 'slow down', retryable: true }]);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'rate_limited', message: 'slow down', retryable: true } });
    const interrupted = reduceAll([start, { type: 'run-error', code: 'interrupted', message: 'shutdown', retryable: true }]);
    expect(interrupted.status).toBe('interrupted');
    const cancelled = reduceAll([start, { type: 'run-queued', position: 1 }, { type: 'run-cancel', reason: 'cancelled' }]);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: 'cancelled', queuePosition: null });
    expect([failed, interrupted, cancelled].every(isAnswerEnded)).toBe(true);
  });

  it('never changes the state it is given, and an ended answer stays as it is', () => {
    const before = reduceAll([start, { type: 'text-delta', delta: 'a' }, { type: 'tool-call', callId: 'a', name: 't', input: {} }]);
    const snapshot = structuredClone(before);
    reduceAll([{ type: 'text-delta', delta: 'b' }, { type: 'tool-result', callId: 'a', output: 1, isError: false }], before);
    expect(before).toEqual(snapshot);
    const ended = reduceAnswer(before, { type: 'run-cancel', reason: 'cancelled' });
    expect(reduceAnswer(ended, { type: 'text-delta', delta: 'late' })).toBe(ended);
  });

  it('ignores an event type it does not know (from a newer server)', () => {
    const answer = reduceAll([start]);
    expect(reduceAnswer(answer, { type: 'run-paused' } as unknown as StreamEvent)).toBe(answer);
  });
});
