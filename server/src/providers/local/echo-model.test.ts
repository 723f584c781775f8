import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ProviderError, type ModelPart, type ModelRequest } from '../types.js';
import { EchoModel } from './echo-model.js';

async function collect(request: Partial<ModelRequest> & Pick<ModelRequest, 'messages'>, delayMs = 0) {
  const parts: ModelPart[] = [];
  let error: unknown;
  try {
    for await (const part of new EchoModel({ delayMs }).stream({ signal: new AbortController().signal, ...request })) parts.push(part);
  } catch (caught) {
    error = caught;
  }
  return { parts, error, text: parts.flatMap((part) => (part.type === 'text-delta' ? [part.delta] : [])).join('') };
}

describe('local/echo', () => {
  it('echoes the last user message word by word and ends with usage and finish', async () => {
    const { parts, text } = await collect({ messages: [{ role: 'user', content: 'hello  big world' }] });
    expect(text).toBe('Echo: hello big world');
    expect(parts.filter((part) => part.type === 'text-delta')).toHaveLength(4);
    expect(parts.at(-2)).toEqual({ type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } });
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('counts the system prompt and the whole history as input', async () => {
    const { parts } = await collect({
      system: 'be brief',
      messages: [
        { role: 'user', content: 'one two' },
        { role: 'assistant', content: 'Echo: one two' },
        { role: 'user', content: 'three' },
      ],
    });
    expect(parts.find((part) => part.type === 'usage')).toEqual({ type: 'usage', usage: { inputTokens: 8, outputTokens: 2 } });
  });

  it('streams reasoning first with /think and N words with /long', async () => {
    const { parts, text } = await collect({ messages: [{ role: 'user', content: '/think hmm yes /long 5' }] });
    expect(parts.slice(0, 2)).toEqual([
      { type: 'reasoning-delta', delta: 'hmm' },
      { type: 'reasoning-delta', delta: ' yes' },
    ]);
    expect(text.split(' ')).toHaveLength(5);
  });

  it('calls a tool with /tool, then answers with its result', async () => {
    const first = await collect({ messages: [{ role: 'user', content: '/tool calc {"a":1}' }] });
    expect(first.parts[0]).toMatchObject({ type: 'tool-call', name: 'calc', input: { a: 1 } });
    expect(first.parts.at(-1)).toEqual({ type: 'finish', finishReason: 'tool-calls' });
    const second = await collect({
      messages: [
        { role: 'user', content: '/tool calc {"a":1}' },
        { role: 'assistant', content: '', toolCalls: [{ callId: 'c1', name: 'calc', input: { a: 1 } }] },
        { role: 'tool', callId: 'c1', name: 'calc', output: { result: 2 }, isError: false },
      ],
    });
    expect(second.text).toBe('Tool calc returned: {"result":2}');
  });

  it.each([
    ['rate_limit', 'rate_limited', true],
    ['server', 'provider_unavailable', true],
    ['auth', 'provider_auth', false],
  ] as const)('/fail %s fails before any token as %s', async (kind, code, retryable) => {
    const { parts, error } = await collect({ messages: [{ role: 'user', content: `/fail ${kind} hi` }] });
    expect(parts).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code, retryable });
  });

  it('/fail reset breaks off mid-stream after some text', async () => {
    const { parts, error } = await collect({ messages: [{ role: 'user', content: '/fail reset /long 10' }] });
    expect(parts.filter((part) => part.type === 'text-delta')).toHaveLength(5);
    expect(error).toMatchObject({ code: 'provider_unavailable' });
  });

  it('stops at once when aborted', async () => {
    const controller = new AbortController();
    const stream = new EchoModel({ delayMs: 5 }).stream({ signal: controller.signal, messages: [{ role: 'user', content: '/long 1000' }] });
    let count = 0;
    await expect(
      (async () => {
        for await (const _part of stream) if (++count === 3) controller.abort();
      })(),
    ).rejects.toThrow();
    expect(count).toBe(3);
  });

  it('holds one abort listener for a whole paced answer, and none once it ends (with a delay or without)', async () => {
    for (const delayMs of [1, 0]) {
      const controller = new AbortController();
      const listeners: number[] = [];
      for await (const _part of new EchoModel({ delayMs }).stream({ signal: controller.signal, messages: [{ role: 'user', content: '/long 130' }] })) {
        listeners.push(getEventListeners(controller.signal, 'abort').length);
      }
      expect(new Set(listeners)).toEqual(new Set([1]));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    }
  });

  it("an abort while it waits between words ends the stream with the signal's reason", async () => {
    const controller = new AbortController();
    const stream = new EchoModel({ delayMs: 60_000 }).stream({ signal: controller.signal, messages: [{ role: 'user', content: 'hello there' }] });
    const iterator = stream[Symbol.asyncIterator]();
    const first = iterator.next();
    setTimeout(() => controller.abort(new Error('stopped by the test')), 5);
    await expect(first).rejects.toThrow('stopped by the test');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
