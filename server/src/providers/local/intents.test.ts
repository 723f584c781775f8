import { describe, expect, it } from 'vitest';
import { toolIntent } from './intents.js';

const ALL = new Set(['calculator', 'current_time', 'search_history']);

describe('toolIntent: the tool a message plainly asks for', () => {
  it.each([
    ['What is 6 * 7?', { name: 'calculator', input: { expression: '6 * 7' } }],
    ['calculate (2 + 3) / 4 please', { name: 'calculator', input: { expression: '(2 + 3) / 4' } }],
    ['12.5×4', { name: 'calculator', input: { expression: '12.5*4' } }],
    ['2^10 =', { name: 'calculator', input: { expression: '2^10' } }],
    ['What time is it?', { name: 'current_time', input: {} }],
    ["what's the date today", { name: 'current_time', input: {} }],
    ['Search my chats for tRPC subscriptions', { name: 'search_history', input: { query: 'tRPC subscriptions' } }],
    ['please search my history for "pasta recipes"?', { name: 'search_history', input: { query: 'pasta recipes' } }],
  ])('%j', (text, expected) => {
    expect(toolIntent(text, ALL)).toEqual(expected);
  });

  it.each([
    'Hello there',
    'what happened on 2026-12-01 at the meeting with the design team',
    'read pages 3-5 of the report and summarise them for me',
    'what is tRPC?',
    'search the web for cats',
  ])('nothing for %j', (text) => {
    expect(toolIntent(text, ALL)).toBeUndefined();
  });

  it('only a tool the agent offers', () => {
    expect(toolIntent('What is 6 * 7?', new Set(['current_time']))).toBeUndefined();
    expect(toolIntent('What time is it?', new Set(['calculator']))).toBeUndefined();
  });
});
