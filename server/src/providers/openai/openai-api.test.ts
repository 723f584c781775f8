import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openAIChunkSchema, plainTextDelta } from './openai-api.js';

/** Where a chunk can differ from a plain text delta, and what it can hold there instead. */
const PLACES = ['usage', 'choices', 'second choice', 'index', 'delta', 'finish_reason', 'content', 'refusal', 'reasoning_content', 'reasoning', 'tool_calls', 'role', 'logprobs'] as const;
const VALUES = [undefined, null, 0, 1, -1, 0.5, '', 'x', '0', {}, [], [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '{}' } }], { prompt_tokens: 1, completion_tokens: 2 }, 'stop'];

/** A plain text chunk (text from fast-check) with up to three of its fields changed. */
const chunk = fc
  .tuple(fc.string(), fc.array(fc.tuple(fc.constantFrom(...PLACES), fc.constantFrom(...VALUES)), { maxLength: 3 }))
  .map(([text, changes]) => {
    const delta: Record<string, unknown> = { content: text };
    const choice: Record<string, unknown> = { index: 0, delta, finish_reason: null };
    const raw: Record<string, unknown> = { id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'm', choices: [choice] };
    for (const [place, value] of changes) {
      if (place === 'usage' || place === 'choices') raw[place] = value;
      else if (place === 'second choice') (raw.choices as unknown[] | null | undefined)?.push?.({ index: value, delta: { content: 'y' } });
      else if (place === 'index' || place === 'delta' || place === 'finish_reason' || place === 'logprobs') choice[place] = value;
      else delta[place] = value;
    }
    return raw;
  });

describe('plainTextDelta', () => {
  it('reads the text of a plain text chunk without the schema', () => {
    const raw = { id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null, logprobs: null }] };
    expect(plainTextDelta(raw)).toBe('Hello');
    expect(plainTextDelta({ choices: [{ delta: { role: 'assistant', content: '' } }] })).toBe('');
  });

  it('leaves every other chunk to the schema', () => {
    expect(plainTextDelta({ choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] })).toBeUndefined();
    expect(plainTextDelta({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } })).toBeUndefined();
    expect(plainTextDelta({ choices: [{ index: 0, delta: { content: 'x' } }], usage: { prompt_tokens: 1 } })).toBeUndefined();
    expect(plainTextDelta({ choices: [{ index: 1, delta: { content: 'x' } }] })).toBeUndefined();
    expect(plainTextDelta({ choices: [{ index: 0, delta: { content: null, reasoning: 'hm' } }] })).toBeUndefined();
    expect(plainTextDelta({ choices: [{ index: 0, delta: { content: 'x', tool_calls: [] } }] })).toBeUndefined();
    expect(plainTextDelta({ choices: [{ index: '0', delta: { content: 'x' } }] })).toBeUndefined();
    expect(plainTextDelta(null)).toBeUndefined();
  });

  it('never disagrees with the schema: a chunk it reads parses to that text alone', () => {
    fc.assert(
      fc.property(chunk, (raw) => {
        const text = plainTextDelta(raw);
        if (text === undefined) return;
        const parsed = openAIChunkSchema.safeParse(raw);
        expect(parsed.success).toBe(true);
        const { choices, usage } = parsed.data!;
        expect(usage ?? null).toBeNull();
        expect(choices).toHaveLength(1);
        const [choice] = choices!;
        expect(choice!.index ?? 0).toBe(0);
        expect(choice!.finish_reason ?? null).toBeNull();
        expect(choice!.delta?.content).toBe(text);
        expect(choice!.delta?.refusal ?? choice!.delta?.reasoning_content ?? choice!.delta?.reasoning ?? choice!.delta?.tool_calls ?? null).toBeNull();
      }),
      { numRuns: 3000 },
    );
  });
});
