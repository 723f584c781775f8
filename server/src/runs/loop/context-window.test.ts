import { describe, expect, it } from 'vitest';
import type { ModelMessage } from '../../providers/types.js';
import { applyContextPolicy, estimateMessageTokens } from './context-window.js';

const user = (content: string): ModelMessage => ({ role: 'user', content });
const answer = (content: string): ModelMessage => ({ role: 'assistant', content });
const call = (callId: string): ModelMessage => ({ role: 'assistant', content: '', toolCalls: [{ callId, name: 'calculator', input: { expression: '1+1' } }] });
const result = (callId: string): ModelMessage => ({ role: 'tool', callId, name: 'calculator', output: { result: 2 }, isError: false });

/** Every tool call in the window has its result and every result its call. */
function expectPairsIntact(window: ModelMessage[]): void {
  const calls = new Set(window.flatMap((message) => (message.role === 'assistant' ? (message.toolCalls ?? []).map((entry) => entry.callId) : [])));
  const results = new Set(window.flatMap((message) => (message.role === 'tool' ? [message.callId] : [])));
  expect([...calls].sort()).toEqual([...results].sort());
}

const conversation: ModelMessage[] = [
  user('first question'),
  answer('first answer'),
  user('compute something'),
  call('a'),
  result('a'),
  answer('it is 2'),
  user('and two at once'),
  { role: 'assistant', content: '', toolCalls: [{ callId: 'b', name: 'calculator', input: {} }, { callId: 'c', name: 'calculator', input: {} }] },
  result('b'),
  result('c'),
  answer('both done'),
  user('latest question'),
];

describe('applyContextPolicy', () => {
  it('keeps everything without limits', () => {
    expect(applyContextPolicy(conversation, undefined)).toBe(conversation);
    expect(applyContextPolicy(conversation, {})).toBe(conversation);
  });

  it('keeps the latest conversation messages, counting an answer with its tool steps as one', () => {
    expect(applyContextPolicy(conversation, { lastMessages: 1 })).toEqual([user('latest question')]);
    expect(applyContextPolicy(conversation, { lastMessages: 3 })).toEqual(conversation.slice(6));
    // Four would start with an answer: the window opens at a user message instead.
    expect(applyContextPolicy(conversation, { lastMessages: 4 })).toEqual(conversation.slice(6));
    expect(applyContextPolicy(conversation, { lastMessages: 5 })).toEqual(conversation.slice(2));
  });

  it('fits a token budget without ever splitting a tool call from its results', () => {
    const total = conversation.reduce((sum, message) => sum + estimateMessageTokens(message), 0);
    for (let budget = 0; budget <= total + 10; budget++) {
      const window = applyContextPolicy(conversation, { maxTokens: budget });
      expect(window.at(-1)).toEqual(user('latest question'));
      expect(window[0]!.role).toBe('user');
      expectPairsIntact(window);
      const used = window.reduce((sum, message) => sum + estimateMessageTokens(message), 0);
      if (window.length > 1) expect(used).toBeLessThanOrEqual(budget);
    }
    expect(applyContextPolicy(conversation, { maxTokens: total })).toEqual(conversation);
  });

  it('always keeps the current turn, tool steps of the running answer included, and counts the system prompt', () => {
    const running = [...conversation, call('d'), result('d')];
    expect(applyContextPolicy(running, { maxTokens: 1 })).toEqual([user('latest question'), call('d'), result('d')]);
    const withoutSystem = applyContextPolicy(conversation, { maxTokens: 60 });
    const withSystem = applyContextPolicy(conversation, { maxTokens: 60 }, { system: 'x'.repeat(120) });
    expect(withSystem.length).toBeLessThan(withoutSystem.length);
  });
});
