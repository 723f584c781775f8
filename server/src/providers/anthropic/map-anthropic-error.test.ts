import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { anthropicErrorBody, startAnthropicFake } from '../../../../test/fakes/anthropic.js';
import { startFakeServer } from '../../../../test/fakes/fake-server.js';
import { ProviderError } from '../types.js';
import { collectParts, testModel, TEST_API_KEY, userRequest } from './anthropic-test-helpers.js';

const inOneMinute = () => new Date(Date.now() + 60_000).toUTCString();

describe('Anthropic HTTP errors → ProviderError, through the SDK, never retried by it', () => {
  it.each([
    ['401 authentication_error', 401, 'authentication_error', 'invalid x-api-key', {}, { code: 'provider_auth', retryable: false }],
    ['403 permission_error', 403, 'permission_error', 'your key may not use this model', {}, { code: 'provider_auth', retryable: false }],
    ['429 with retry-after-ms', 429, 'rate_limit_error', 'slow down', { 'retry-after-ms': '1500' }, { code: 'rate_limited', retryable: true, retryAfterMs: 1500 }],
    ['429 with retry-after seconds', 429, 'rate_limit_error', 'slow down', { 'retry-after': '3' }, { code: 'rate_limited', retryable: true, retryAfterMs: 3000 }],
    ['529 overloaded_error', 529, 'overloaded_error', 'Overloaded', {}, { code: 'provider_unavailable', retryable: true }],
    ['500 api_error', 500, 'api_error', 'Internal server error', {}, { code: 'provider_unavailable', retryable: true }],
    ['400 prompt is too long', 400, 'invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum', {}, { code: 'context_length', retryable: false }],
    ['400 other', 400, 'invalid_request_error', 'max_tokens: must be at least 1', {}, { code: 'invalid_request', retryable: false }],
    ['404 unknown model', 404, 'not_found_error', 'model: claude-nope', {}, { code: 'invalid_request', retryable: false }],
  ] as const)('%s', async (_name, status, type, message, headers, expected) => {
    await using fake = await startAnthropicFake();
    fake.script({ error: { status, body: anthropicErrorBody(type, message), headers } });
    const { parts, error } = await collectParts(testModel(fake.url).stream(userRequest('hi')));
    expect(parts).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ ...expected, statusCode: status });
    expect((error as Error).message).toBe(`anthropic/claude-test: ${status} ${type}: ${message}`);
    expect(fake.requests).toHaveLength(1);
  });

  it('reads retry-after as an HTTP date', async () => {
    await using fake = await startAnthropicFake();
    fake.script({ error: { status: 429, body: anthropicErrorBody('rate_limit_error', 'later'), headers: { 'retry-after': inOneMinute() } } });
    const { error } = await collectParts(testModel(fake.url).stream(userRequest('hi')));
    expect((error as ProviderError).retryAfterMs).toBeGreaterThan(55_000);
    expect((error as ProviderError).retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('never puts the API key in a message, even when the server echoes it', async () => {
    await using fake = await startAnthropicFake();
    fake.script({ error: { status: 401, body: anthropicErrorBody('authentication_error', `invalid key ${TEST_API_KEY}`) } });
    const { error } = await collectParts(testModel(fake.url).stream(userRequest('hi')));
    expect(error).toMatchObject({ code: 'provider_auth' });
    expect((error as Error).message).toBe('anthropic/claude-test: 401 authentication_error: invalid key [redacted]');
  });

  it('maps a proxy answering 502 with HTML to provider_unavailable, keeping the body', async () => {
    await using server = await startFakeServer((_request, response) => void response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'));
    const { error } = await collectParts(testModel(server.url).stream(userRequest('hi')));
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true, statusCode: 502 });
    expect((error as Error).message).toContain('Bad Gateway');
  });

  it('maps a refused connection to provider_unavailable', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const { error } = await collectParts(testModel(`http://127.0.0.1:${port}`).stream(userRequest('hi')));
    expect(error).toMatchObject({ name: 'ProviderError', code: 'provider_unavailable', retryable: true });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });
});
