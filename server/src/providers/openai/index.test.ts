import { describe, expect, it } from 'vitest';
import { startFakeServer } from '../../../../test/fakes/fake-server.js';
import { startOpenAIFake } from '../../../../test/fakes/openai.js';
import { createOpenAIProvider } from './index.js';
import { collectParts, noRetries, providerFor, TEST_API_KEY } from './openai-test-helpers.js';

describe('openai provider', () => {
  it('lists the models of GET /v1/models, with the key as bearer token', async () => {
    await using fake = await startOpenAIFake({ models: ['gpt-test', 'o-test', 'meta-llama/Llama-3.1-8B-Instruct'] });
    expect(await providerFor(fake.url).listModels()).toEqual(['gpt-test', 'o-test', 'meta-llama/Llama-3.1-8B-Instruct']);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`);
  });

  it('fails listModels with a mapped error (no key in it), and rethrows an abort', async () => {
    await using fake = await startOpenAIFake({ apiKey: 'sk-other-key-entirely' });
    await expect(providerFor(fake.url).listModels()).rejects.toMatchObject({ code: 'provider_auth', retryable: false });
    await expect(providerFor(fake.url).listModels()).rejects.not.toThrow(TEST_API_KEY);

    await using silent = await startFakeServer(() => undefined);
    const reason = new Error('enough');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 20);
    await expect(providerFor(silent.url).listModels(controller.signal)).rejects.toBe(reason);
  });

  it('points at api.openai.com without a base URL, and at the base URL otherwise', async () => {
    expect(createOpenAIProvider({ apiKey: TEST_API_KEY, baseUrl: undefined }, noRetries).baseUrl).toBe('https://api.openai.com/v1');
    expect(providerFor('http://127.0.0.1:9').baseUrl).toBe('http://127.0.0.1:9/v1');
    expect(() => providerFor('http://127.0.0.1:9').model('')).toThrow(/model name/);
  });

  it('model names may contain slashes (vLLM, OpenRouter) and go to the server unchanged', async () => {
    await using fake = await startOpenAIFake();
    const model = providerFor(fake.url).model('meta-llama/Llama-3.1-8B-Instruct');
    expect(model.id).toBe('openai/meta-llama/Llama-3.1-8B-Instruct');
    await collectParts(model);
    expect(fake.requests[0]!.body.model).toBe('meta-llama/Llama-3.1-8B-Instruct');
  });

  it('its models are resilient: a 429 before any token is retried by the policy, not by the SDK', async () => {
    await using fake = await startOpenAIFake();
    fake.script({ error: { status: 429, headers: { 'retry-after-ms': '30' }, body: { error: { message: 'slow down', type: 'tokens', code: 'rate_limit_exceeded' } } } }, { text: ['ok'] });
    const model = providerFor(fake.url, { ...noRetries, maxRetries: 1, maxBackoffMs: 1_000 }).model('gpt-test');
    const { text, error } = await collectParts(model);
    expect(error).toBeUndefined();
    expect(text).toBe('ok');
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.receivedAt - fake.requests[0]!.receivedAt).toBeGreaterThanOrEqual(25);
  });

  it('a stall after some text ends as timeout through the idle watch', async () => {
    await using fake = await startOpenAIFake();
    fake.script({ text: ['a', 'b', 'c'], stallAfter: 2 });
    const { error, text } = await collectParts(providerFor(fake.url, { ...noRetries, idleTimeoutMs: 150 }).model('gpt-test'));
    expect(text).toBe('ab');
    // This watch's 150 ms, not the policy's usual 2 s.
    expect(error).toMatchObject({ code: 'timeout', retryable: true, message: expect.stringContaining('no data for 150 ms') });
    await expect.poll(() => fake.requests[0]!.abortedAt).toBeDefined();
  });

  it('an answer that is only a tool call with broken arguments is retried as provider_protocol', async () => {
    const chunk = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    let attempt = 0;
    await using fake = await startFakeServer((_request, response) => {
      const input = ++attempt === 1 ? '{"city": "Be' : '{"city": "Bern"}';
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(chunk({ tool_calls: [{ index: 0, id: `call_${attempt}`, type: 'function', function: { name: 'weather', arguments: input } }] }) + chunk({}, 'tool_calls') + 'data: [DONE]\n\n');
    });
    const { parts, error } = await collectParts(providerFor(fake.url, { ...noRetries, maxRetries: 1 }).model('m'));
    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: 'tool-call', callId: 'call_2', name: 'weather', input: { city: 'Bern' } },
      { type: 'finish', finishReason: 'tool-calls' },
    ]);
    expect(fake.requests).toHaveLength(2);
  });
});
