import { describe, expect, it } from 'vitest';
import { startFakeServer } from '../../../../test/fakes/fake-server.js';
import { startOpenAIFake } from '../../../../test/fakes/openai.js';
import type { ModelMessage } from '../types.js';
import { OpenAIChatModel } from './openai-chat-model.js';
import { createOpenAIClient } from './openai-client.js';
import { collectParts, providerFor, TEST_API_KEY } from './openai-test-helpers.js';

describe('openai chat model, through the SDK against the fake', () => {
  it('streams text deltas, then usage and finish, and sends the request OpenAI expects', async () => {
    await using fake = await startOpenAIFake();
    fake.script({ text: ['Hel', 'lo', ' there'], usage: { inputTokens: 21, outputTokens: 3 } });
    const model = providerFor(fake.url).model('gpt-test');
    expect(model.id).toBe('openai/gpt-test');
    const { parts, error } = await collectParts(model, { temperature: 0.3, maxOutputTokens: 50 });
    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: 'text-delta', delta: 'Hel' },
      { type: 'text-delta', delta: 'lo' },
      { type: 'text-delta', delta: ' there' },
      { type: 'usage', usage: { inputTokens: 21, outputTokens: 3, reasoningTokens: 0, cachedInputTokens: 0 } },
      { type: 'finish', finishReason: 'stop' },
    ]);
    const [request] = fake.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(request!.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`);
    expect(request!.body).toEqual({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.3,
      // A compatible server (not api.openai.com) gets the widely understood max_tokens.
      max_tokens: 50,
    });
  });

  it.each(['reasoning_content', 'reasoning'] as const)('streams reasoning sent as delta.%s before the text', async (field) => {
    await using fake = await startOpenAIFake({ reasoningField: field });
    fake.script({ reasoning: ['Let me', ' think'], text: ['Four.'], usage: { inputTokens: 9, outputTokens: 30, reasoningTokens: 27, cachedInputTokens: 8 } });
    const { parts } = await collectParts(providerFor(fake.url).model('deepseek-reasoner'));
    expect(parts).toEqual([
      { type: 'reasoning-delta', delta: 'Let me' },
      { type: 'reasoning-delta', delta: ' think' },
      { type: 'text-delta', delta: 'Four.' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 30, reasoningTokens: 27, cachedInputTokens: 8 } },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it('assembles tool calls from fragments by index and emits them before finish tool-calls', async () => {
    await using fake = await startOpenAIFake();
    fake.script({
      text: ['Checking.'],
      toolCalls: [
        { id: 'call_weather', name: 'get_weather', input: { city: 'Zürich', units: ['c', 'f'], nested: { days: 3 } } },
        { id: 'call_time', name: 'now', input: {} },
      ],
    });
    const { parts } = await collectParts(providerFor(fake.url).model('gpt-test'));
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'tool-call', 'tool-call', 'usage', 'finish']);
    expect(parts[1]).toEqual({ type: 'tool-call', callId: 'call_weather', name: 'get_weather', input: { city: 'Zürich', units: ['c', 'f'], nested: { days: 3 } } });
    expect(parts[2]).toEqual({ type: 'tool-call', callId: 'call_time', name: 'now', input: {} });
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'tool-calls' });
  });

  it('assembles interleaved fragments, whole calls without index, and empty arguments (compatible servers)', async () => {
    const chunk = (delta: unknown, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    await using fake = await startFakeServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(chunk({ role: 'assistant', tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'b', arguments: '{"y":' } }] }));
      response.write(chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'a', arguments: '' } }] }));
      response.write(chunk({ tool_calls: [{ index: 1, function: { arguments: '2}' } }] }));
      response.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":1}' } }] }));
      response.end(`${chunk({}, 'tool_calls')}data: [DONE]\n\n`);
    });
    const first = await collectParts(providerFor(fake.url).model('m'));
    expect(first.parts.filter((part) => part.type === 'tool-call')).toEqual([
      { type: 'tool-call', callId: 'call_a', name: 'a', input: { x: 1 } },
      { type: 'tool-call', callId: 'call_b', name: 'b', input: { y: 2 } },
    ]);

    await using whole = await startFakeServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(chunk({ tool_calls: [{ id: 'call_1', function: { name: 'list_files', arguments: '' } }] }));
      response.write(chunk({ tool_calls: [{ id: 'call_2', function: { name: 'read', arguments: '{"path":"a"}' } }] }));
      response.write(chunk({ tool_calls: [{ function: { name: 'no_id', arguments: '{}' } }] }));
      response.end(`${chunk({}, 'tool_calls')}data: [DONE]\n\n`);
    });
    const second = await collectParts(providerFor(whole.url).model('m'));
    expect(second.parts).toEqual([
      { type: 'tool-call', callId: 'call_1', name: 'list_files', input: {} },
      { type: 'tool-call', callId: 'call_2', name: 'read', input: { path: 'a' } },
      { type: 'tool-call', callId: expect.stringMatching(/^call_\w+_2$/), name: 'no_id', input: {} },
      { type: 'finish', finishReason: 'tool-calls' },
    ]);
  });

  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['content_filter', 'content-filter'],
    ['tool_calls', 'tool-calls'],
    ['function_call', 'tool-calls'],
    ['eos_token', 'other'],
  ] as const)('maps finish_reason %s to %s', async (stopReason, finishReason) => {
    await using fake = await startOpenAIFake();
    fake.script({ text: ['x'], stopReason });
    const { parts } = await collectParts(providerFor(fake.url).model('gpt-test'));
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason });
  });

  it('converts the system prompt, assistant tool calls, tool results and tools into the request', async () => {
    await using fake = await startOpenAIFake();
    const messages: ModelMessage[] = [
      { role: 'user', content: 'weather in Bern?' },
      { role: 'assistant', content: '', reasoning: 'need a tool', toolCalls: [{ callId: 'call_1', name: 'get_weather', input: { city: 'Bern' } }] },
      { role: 'tool', callId: 'call_1', name: 'get_weather', output: { celsius: 21 }, isError: false },
      { role: 'assistant', content: 'Let me also check the time.', toolCalls: [{ callId: 'call_2', name: 'clock', input: {} }] },
      { role: 'tool', callId: 'call_2', name: 'clock', output: 'unknown tool clock', isError: true },
      { role: 'assistant', content: 'It is 21 °C.' },
      { role: 'user', content: 'thanks' },
    ];
    const inputSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    await collectParts(providerFor(fake.url).model('gpt-test'), {
      system: 'You are terse.',
      messages,
      tools: [{ name: 'get_weather', description: 'Current weather of a city', inputSchema }],
    });
    const body = fake.requests[0]!.body;
    expect(body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'weather in Bern?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bern"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":21}' },
      { role: 'assistant', content: 'Let me also check the time.', tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'clock', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_2', content: 'unknown tool clock' },
      { role: 'assistant', content: 'It is 21 °C.' },
      { role: 'user', content: 'thanks' },
    ]);
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Current weather of a city', parameters: inputSchema } }]);
  });

  it('sends max_completion_tokens instead of max_tokens when talking to OpenAI itself', async () => {
    await using fake = await startOpenAIFake();
    const client = createOpenAIClient({ apiKey: TEST_API_KEY, baseUrl: `${fake.url}/v1` });
    const model = new OpenAIChatModel({ client, modelName: 'gpt-test', secrets: [TEST_API_KEY], useMaxCompletionTokens: true });
    await collectParts(model, { maxOutputTokens: 64 });
    expect(fake.requests[0]!.body.max_completion_tokens).toBe(64);
    expect(fake.requests[0]!.body).not.toHaveProperty('max_tokens');
  });
});
