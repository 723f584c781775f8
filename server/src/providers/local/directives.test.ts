import { describe, expect, it } from 'vitest';
import { parseDirectives } from './directives.js';

describe('parseDirectives', () => {
  it('leaves a plain message alone', () => {
    expect(parseDirectives('hello /long 3')).toEqual({ text: 'hello /long 3' });
  });

  it('reads combined directives in any order, then the text', () => {
    expect(parseDirectives('/slow 50 /long 200 and then some')).toEqual({ delayMs: 50, words: 200, text: 'and then some' });
  });

  it('reads /think up to the next directive or line end', () => {
    expect(parseDirectives('/think let me see /long 2')).toEqual({ think: 'let me see', words: 2, text: '' });
    expect(parseDirectives('/think a b\nthe question')).toEqual({ think: 'a b', text: 'the question' });
  });

  it('reads /tool with a JSON object containing spaces and braces in strings', () => {
    expect(parseDirectives('/tool calc {"expr": "1 + {2}"} go')).toEqual({
      tool: { name: 'calc', input: { expr: '1 + {2}' } },
      text: 'go',
    });
    expect(parseDirectives('/tool now 42')).toEqual({ tool: { name: 'now', input: 42 }, text: '' });
  });

  it('reads /fail kinds and stops at a malformed directive', () => {
    expect(parseDirectives('/fail reset hi')).toEqual({ fail: 'reset', text: 'hi' });
    expect(parseDirectives('/fail nonsense hi')).toEqual({ text: '/fail nonsense hi' });
    expect(parseDirectives('/long many')).toEqual({ text: '/long many' });
    expect(parseDirectives('/tool calc {broken')).toEqual({ text: '/tool calc {broken' });
  });
});
