import { describe, expect, it } from 'vitest';
import { anthropicErrorBody, startAnthropicFake } from '../../../../test/fakes/anthropic.js';
import type { ResiliencePolicy } from '../resilient-model.js';
import { collectParts, TEST_API_KEY, userRequest } from './anthropic-test-helpers.js';
import { createAnthropicProvider } from './index.js';

const policy: ResiliencePolicy = { maxRetries: 2, initialBackoffMs: 1, maxBackoffMs: 50, idleTimeoutMs: 300 };

describe('createAnthropicProvider', () => {
  it('lists the models from GET /v1/models, by id', async () => {
    await using fake = await startAnthropicFake();
    const provider = createAnthropicProvider({ apiKey: TEST_API_KEY, baseUrl: fake.url }, policy);
    expect(provider).toMatchObject({ name: 'anthropic', baseUrl: fake.url });
    expect(await provider.listModels()).toEqual(['claude-opus-4-5-20251101', 'claude-haiku-4-5-20251001']);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models' });
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${TEST_API_KEY}`);
  });

  it('fails listing with a ProviderError that hides the key', async () => {
    await using fake = await startAnthropicFake();
    const provider = createAnthropicProvider({ apiKey: TEST_API_KEY, baseUrl: `${fake.url}/nowhere` }, policy);
    const error = await provider.listModels().then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toMatchObject({ name: 'ProviderError', code: 'invalid_request', statusCode: 404 });
    expect((error as Error).message).toMatch(/^anthropic: 404 not_found_error: /);
    expect((error as Error).message).not.toContain(TEST_API_KEY);
  });

  it('makes models wrapped in the retry policy: an overloaded answer is retried before the first token', async () => {
    await using fake = await startAnthropicFake();
    fake.script({ error: { status: 529, body: anthropicErrorBody('overloaded_error', 'Overloaded') } }, { text: ['fine'] });
    const model = createAnthropicProvider({ apiKey: TEST_API_KEY, baseUrl: fake.url }, policy).model('claude-test');
    expect(model.id).toBe('anthropic/claude-test');
    const { parts, error } = await collectParts(model.stream(userRequest('hi')));
    expect(error).toBeUndefined();
    expect(parts[0]).toEqual({ type: 'text-delta', delta: 'fine' });
    expect(fake.requests).toHaveLength(2);
  });

  it('turns a silent stream into a timeout through the idle watch', async () => {
    await using fake = await startAnthropicFake();
    fake.script({ text: ['a', 'b', 'c'], stallAfter: 1 });
    const model = createAnthropicProvider({ apiKey: TEST_API_KEY, baseUrl: fake.url }, policy).model('claude-test');
    const { parts, error } = await collectParts(model.stream(userRequest('hi')));
    expect(parts).toEqual([{ type: 'text-delta', delta: 'a' }]);
    expect(error).toMatchObject({ name: 'ProviderError', code: 'timeout' });
    await expect.poll(() => fake.requests[0]!.abortedAt).toBeDefined();
  });
});
