import { describe, expect, it } from 'vitest';
import { startAnthropicFake } from '../../../../test/fakes/anthropic.js';
import { startFakeServer } from '../../../../test/fakes/fake-server.js';
import { REACTION_MS } from '../../../../test/helpers/patience.js';
import { ProviderError } from '../types.js';
import { collectParts, testModel, TEST_API_KEY, userRequest } from './anthropic-test-helpers.js';

describe('AnthropicChatModel through the SDK against the fake', () => {
  it('streams text deltas, then usage and finish', async () => {
    await using fake = await startAnthropicFake();
    fake.script({ text: ['Hel', 'lo', ' world'], usage: { inputTokens: 30, outputTokens: 4 } });
    const { parts, error } = await collectParts(testModel(fake.url).stream(userRequest('hi')));
    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: 'text-delta', delta: 'Hel' },
      { type: 'text-delta', delta: 'lo' },
      { type: 'text-delta', delta: ' world' },
      { type: 'usage', usage: { inputTokens: 30, outputTokens: 4, cachedInputTokens: 0 } },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it('streams thinking as reasoning deltas, then its signature, before the text', async () => {
    await using fake = await startAnthropicFake();
    fake.script({ reasoning: ['Let me', ' think.'], text: ['Done.'] });
    const { parts } = await collectParts(testModel(fake.url).stream(userRequest('hi')));
    expect(parts.slice(0, 4)).toEqual([
      { type: 'reasoning-delta', delta: 'Let me' },
      { type: 'reasoning-delta', delta: ' think.' },
      { type: 'reasoning-signature', signature: `sig_${Buffer.from('Let me think.').toString('base64')}` },
      { type: 'text-delta', delta: 'Done.' },
    ]);
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop' });
  });

  it('assembles each tool call from its partial JSON and emits it at its block stop', async () => {
    await using fake = await startAnthropicFake();
    const weather = { city: 'Zürich', days: [1, 2], options: { units: 'metric', detail: null } };
    fake.script({ text: ['Checking.'], toolCalls: [{ id: 'toolu_01', name: 'weather', input: weather }, { id: 'toolu_02', name: 'clock', input: {} }] });
    const { parts, error } = await collectParts(testModel(fake.url).stream(userRequest('weather?')));
    expect(error).toBeUndefined();
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'tool-call', 'tool-call', 'usage', 'finish']);
    expect(parts[1]).toEqual({ type: 'tool-call', callId: 'toolu_01', name: 'weather', input: weather });
    expect(parts[2]).toEqual({ type: 'tool-call', callId: 'toolu_02', name: 'clock', input: {} });
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'tool-calls' });
  });

  it('counts cached input in inputTokens and takes the cumulative output_tokens of message_delta', async () => {
    await using fake = await startAnthropicFake();
    fake.script({ text: ['a', 'b'], usage: { inputTokens: 1200, outputTokens: 57, cachedInputTokens: 1000 } });
    const { parts } = await collectParts(testModel(fake.url).stream(userRequest('hi')));
    expect(parts.find((part) => part.type === 'usage')).toEqual({
      type: 'usage',
      usage: { inputTokens: 1200, outputTokens: 57, cachedInputTokens: 1000 },
    });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool-calls'],
    ['refusal', 'content-filter'],
    ['pause_turn', 'other'],
    ['a_reason_from_the_future', 'other'],
  ])('maps stop_reason %s to %s', async (stopReason, finishReason) => {
    await using fake = await startAnthropicFake();
    fake.script({ text: ['x'], stopReason });
    const { parts } = await collectParts(testModel(fake.url).stream(userRequest('hi')));
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason });
  });

  it('sends system, merged history, tool calls and results, tools and limits in Anthropic format', async () => {
    await using fake = await startAnthropicFake();
    const inputSchema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    await collectParts(
      testModel(fake.url, 'claude-test-model').stream({
        system: 'You are terse.',
        messages: [
          { role: 'user', content: 'weather in Bern?' },
          { role: 'assistant', content: 'Looking.', reasoning: 'need the tool', reasoningSignature: 'sig-1', toolCalls: [{ callId: 'toolu_9', name: 'weather', input: { city: 'Bern' } }] },
          { role: 'tool', callId: 'toolu_9', name: 'weather', output: { celsius: 21 }, isError: false },
          { role: 'user', content: 'and tomorrow?' },
          { role: 'assistant', content: '', reasoning: 'unsigned, not sendable', toolCalls: [{ callId: 'toolu_10', name: 'nope', input: null }] },
          { role: 'tool', callId: 'toolu_10', name: 'nope', output: 'unknown tool nope', isError: true },
        ],
        tools: [{ name: 'weather', description: 'Weather for a city', inputSchema }],
        maxOutputTokens: 300,
        temperature: 0.2,
        signal: AbortSignal.timeout(10_000),
      }),
    );
    const [request] = fake.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(request!.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`);
    expect(request!.headers['anthropic-version']).toBeTruthy();
    expect(request!.body).toEqual({
      model: 'claude-test-model',
      max_tokens: 300,
      temperature: 0.2,
      stream: true,
      system: 'You are terse.',
      tools: [{ name: 'weather', description: 'Weather for a city', input_schema: inputSchema }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather in Bern?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'need the tool', signature: 'sig-1' },
            { type: 'text', text: 'Looking.' },
            { type: 'tool_use', id: 'toolu_9', name: 'weather', input: { city: 'Bern' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_9', content: '{"celsius":21}', is_error: false },
            { type: 'text', text: 'and tomorrow?' },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_10', name: 'nope', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_10', content: 'unknown tool nope', is_error: true }] },
      ],
    });
  });

  it('asks for 4096 output tokens when the request names no limit, and sends no system or tools when there are none', async () => {
    await using fake = await startAnthropicFake();
    await collectParts(testModel(fake.url).stream(userRequest('hi')));
    expect(fake.requests[0]!.body).toEqual({ model: 'claude-test', max_tokens: 4096, stream: true, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
  });

  it('throws provider_protocol when the stream ends without message_stop, after the text it had', async () => {
    await using fake = await startAnthropicFake();
    fake.script({ text: ['all', ' of it'], omitTerminal: true });
    const { parts, error } = await collectParts(testModel(fake.url).stream(userRequest('hi')));
    expect(parts).toEqual([
      { type: 'text-delta', delta: 'all' },
      { type: 'text-delta', delta: ' of it' },
    ]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'provider_protocol', retryable: true, message: expect.stringContaining('message_stop') });
  });

  it.each([
    ['a malformed JSON frame', { malformedAfter: 1 }, 'provider_protocol'],
    ['a reset connection', { resetAfter: 1 }, 'provider_unavailable'],
    ['an error event (overloaded)', { streamErrorAfter: 1 }, 'provider_unavailable'],
  ])('throws after the first delta on %s', async (_name, fault, code) => {
    await using fake = await startAnthropicFake();
    fake.script({ text: ['one', ' two', ' three'], ...fault });
    const { parts, error } = await collectParts(testModel(fake.url).stream(userRequest('hi')));
    expect(parts).toEqual([{ type: 'text-delta', delta: 'one' }]);
    expect(error).toMatchObject({ name: 'ProviderError', code, retryable: true });
    if ('streamErrorAfter' in fault) expect((error as Error).message).toContain('Overloaded');
  });

  it('rethrows an abort as an abort and closes the request', async () => {
    await using fake = await startAnthropicFake();
    fake.script({ text: Array.from({ length: 150 }, (_, index) => `w${index} `), delayMs: 20 });
    const controller = new AbortController();
    const iterator = testModel(fake.url).stream(userRequest('hi', { signal: controller.signal }))[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'text-delta', delta: 'w0 ' });
    const abortedAt = Date.now();
    controller.abort(new Error('stop now'));
    const error = await iterator.next().then(() => undefined, (thrown: unknown) => thrown);
    expect(error).not.toBeInstanceOf(ProviderError);
    expect(error).toBeDefined();
    await expect.poll(() => fake.requests[0]!.abortedAt).toBeDefined();
    // Long before the stream (3 s) would have ended by itself.
    expect(fake.requests[0]!.abortedAt! - abortedAt).toBeLessThan(REACTION_MS);
  });

  it('reads text and thinking carried by block starts, skips pings and unknown events and deltas', async () => {
    const frames = [
      ['message_start', { type: 'message_start', message: { id: 'm', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 5, output_tokens: 1 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: 'pre', signature: '' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: 'Hi', citations: null } }],
      ['ping', { type: 'ping' }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'citations_delta', citation: { type: 'char_location' } } }],
      ['some_future_event', { type: 'some_future_event', detail: 1 }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: '!' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      ['content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'redacted_thinking', data: 'opaque' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 2 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } }],
      ['message_stop', { type: 'message_stop' }],
    ] as const;
    await using server = await startFakeServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(frames.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join(''));
    });
    const { parts, error } = await collectParts(testModel(server.url).stream(userRequest('hi')));
    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: 'reasoning-delta', delta: 'pre' },
      { type: 'text-delta', delta: 'Hi' },
      { type: 'text-delta', delta: '!' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 3 } },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it('fails with provider_protocol when a tool input is not valid JSON or an event has the wrong shape', async () => {
    const start = `event: message_start\ndata: ${JSON.stringify({ type: 'message_start', message: { usage: { input_tokens: 1, output_tokens: 1 } } })}\n\n`;
    const bodies = [
      start +
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}\n\n' +
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"a\\": "}}\n\n' +
        'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
      start + 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":42}}\n\n',
    ];
    for (const body of bodies) {
      await using server = await startFakeServer((_request, response) => void response.writeHead(200, { 'content-type': 'text/event-stream' }).end(body));
      const { parts, error } = await collectParts(testModel(server.url).stream(userRequest('hi')));
      expect(parts).toEqual([]);
      expect(error).toMatchObject({ name: 'ProviderError', code: 'provider_protocol', retryable: true });
    }
  });
});
