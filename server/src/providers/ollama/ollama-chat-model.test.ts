import { describe, expect, it } from 'vitest';
import { startOllamaFake } from '../../../../test/fakes/ollama.js';
import { REACTION_MS } from '../../../../test/helpers/patience.js';
import type { ModelPart, ModelRequest } from '../types.js';
import { OllamaChatModel } from './ollama-chat-model.js';
import { parseOllamaHost } from './ollama-client.js';

function modelAt(url: string, name = 'llama3.2') {
  return new OllamaChatModel(name, parseOllamaHost(url));
}

async function collect(model: OllamaChatModel, request: Partial<ModelRequest> = {}) {
  const parts: ModelPart[] = [];
  for await (const part of model.stream({ messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal, ...request })) {
    parts.push(part);
  }
  return parts;
}

describe('OllamaChatModel through the ollama package', () => {
  it('streams content pieces as text deltas, then usage from the counts and finish', async () => {
    await using fake = await startOllamaFake();
    fake.script({ text: ['Hel', 'lo', ' there'], usage: { inputTokens: 26, outputTokens: 3 } });
    expect(await collect(modelAt(fake.url))).toEqual([
      { type: 'text-delta', delta: 'Hel' },
      { type: 'text-delta', delta: 'lo' },
      { type: 'text-delta', delta: ' there' },
      { type: 'usage', usage: { inputTokens: 26, outputTokens: 3 } },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it('streams message.thinking as reasoning deltas before the text', async () => {
    await using fake = await startOllamaFake();
    fake.script({ reasoning: ['Let me', ' think'], text: ['42'] });
    const parts = await collect(modelAt(fake.url, 'qwen3:8b'));
    expect(parts.slice(0, 3)).toEqual([
      { type: 'reasoning-delta', delta: 'Let me' },
      { type: 'reasoning-delta', delta: ' think' },
      { type: 'text-delta', delta: '42' },
    ]);
    expect(fake.requests[0]!.body.model).toBe('qwen3:8b');
  });

  it('turns whole tool calls into tool-call parts with distinct generated ids and finishes with tool-calls', async () => {
    await using fake = await startOllamaFake();
    fake.script({
      text: ['Checking.'],
      toolCalls: [
        { id: 'ignored', name: 'get_weather', input: { city: 'Paris', days: 2 } },
        { id: 'ignored', name: 'get_time', input: { zone: 'Europe/Paris' } },
      ],
    });
    const parts = await collect(modelAt(fake.url));
    const calls = parts.filter((part) => part.type === 'tool-call');
    expect(calls).toEqual([
      { type: 'tool-call', callId: expect.stringMatching(/^call_0_[0-9a-f]{12}$/), name: 'get_weather', input: { city: 'Paris', days: 2 } },
      { type: 'tool-call', callId: expect.stringMatching(/^call_1_[0-9a-f]{12}$/), name: 'get_time', input: { zone: 'Europe/Paris' } },
    ]);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'tool-calls' });
  });

  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['load', 'other'],
    ['something-new', 'other'],
  ] as const)('maps done_reason %s to %s', async (doneReason, finishReason) => {
    await using fake = await startOllamaFake();
    fake.script({ text: ['x'], stopReason: doneReason });
    const parts = await collect(modelAt(fake.url));
    expect(parts.filter((part) => part.type === 'finish')).toEqual([{ type: 'finish', finishReason }]);
  });

  it('sends the system prompt first, assistant tool calls with object arguments, tool results and tools', async () => {
    await using fake = await startOllamaFake();
    const inputSchema = { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] };
    await collect(modelAt(fake.url), {
      system: 'You are terse.',
      temperature: 0.2,
      maxOutputTokens: 64,
      tools: [{ name: 'get_weather', description: 'Weather for a city', inputSchema }],
      messages: [
        { role: 'user', content: 'Weather in Paris and Oslo?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          reasoning: 'two cities',
          toolCalls: [
            { callId: 'call_0_aaa', name: 'get_weather', input: { city: 'Paris' } },
            { callId: 'call_1_bbb', name: 'get_weather', input: { city: 'Oslo' } },
          ],
        },
        { role: 'tool', callId: 'call_0_aaa', name: 'get_weather', output: { celsius: 21 }, isError: false },
        { role: 'tool', callId: 'call_1_bbb', name: 'get_weather', output: 'unknown city', isError: true },
        { role: 'assistant', content: 'Paris is 21°C.' },
        { role: 'user', content: 'Thanks' },
      ],
    });
    const request = fake.requests[0]!;
    expect(request).toMatchObject({ method: 'POST', path: '/api/chat' });
    expect(request.body).toEqual({
      model: 'llama3.2',
      stream: true,
      options: { temperature: 0.2, num_predict: 64 },
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: inputSchema } }],
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris and Oslo?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          thinking: 'two cities',
          tool_calls: [
            { function: { name: 'get_weather', arguments: { city: 'Paris' } } },
            { function: { name: 'get_weather', arguments: { city: 'Oslo' } } },
          ],
        },
        { role: 'tool', tool_name: 'get_weather', content: '{"celsius":21}' },
        { role: 'tool', tool_name: 'get_weather', content: '{"error":"unknown city"}' },
        { role: 'assistant', content: 'Paris is 21°C.' },
        { role: 'user', content: 'Thanks' },
      ],
    });
  });

  it('sends no system message, tools or options when there are none', async () => {
    await using fake = await startOllamaFake();
    await collect(modelAt(fake.url));
    expect(fake.requests[0]!.body).toEqual({ model: 'llama3.2', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  });

  it('an abort closes this request only and propagates as it is; a concurrent stream finishes', async () => {
    await using fake = await startOllamaFake();
    const model = modelAt(fake.url);
    fake.script({ text: Array.from({ length: 300 }, () => 'a'), delayMs: 10 }, { text: Array.from({ length: 10 }, () => 'b'), delayMs: 10 });
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    let abortedAt = 0;
    const first = (async () => {
      let count = 0;
      for await (const _part of model.stream({ messages: [{ role: 'user', content: 'one' }], signal: controller.signal })) {
        if (++count === 3) {
          abortedAt = Date.now();
          controller.abort(reason);
        }
      }
    })();
    const second = collect(model, { messages: [{ role: 'user', content: 'two' }] });
    await expect(first).rejects.toBe(reason);
    const parts = await second;
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop' });
    expect(parts.filter((part) => part.type === 'text-delta')).toHaveLength(10);
    await expect.poll(() => fake.requests[0]!.abortedAt).toBeDefined();
    // Long before the stream (3 s) would have ended by itself.
    expect(fake.requests[0]!.abortedAt! - abortedAt).toBeLessThan(REACTION_MS);
    expect(fake.requests[1]!.abortedAt).toBeUndefined();
  });

  it('an abort before the response headers also closes the request', async () => {
    await using fake = await startOllamaFake();
    fake.script({ text: ['late'], stallAfter: 0 });
    const controller = new AbortController();
    const stream = collect(modelAt(fake.url), { signal: controller.signal });
    await expect.poll(() => fake.requests.length).toBe(1);
    controller.abort();
    await expect(stream).rejects.toMatchObject({ name: 'AbortError' });
    await expect.poll(() => fake.requests[0]!.abortedAt).toBeDefined();
  });

  it('a consumer that stops reading early closes the request', async () => {
    await using fake = await startOllamaFake();
    fake.script({ text: Array.from({ length: 50 }, () => 'z'), delayMs: 5 });
    for await (const part of modelAt(fake.url).stream({ messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal })) {
      if (part.type === 'text-delta') break;
    }
    await expect.poll(() => fake.requests[0]!.abortedAt).toBeDefined();
  });
});
