import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startFakeServer } from '../../../../test/fakes/fake-server.js';
import { openAIErrors, startOpenAIFake } from '../../../../test/fakes/openai.js';
import { REACTION_MS } from '../../../../test/helpers/patience.js';
import { ProviderError } from '../types.js';
import { collectParts, providerFor, TEST_API_KEY } from './openai-test-helpers.js';

/** One attempt against a fake scripted with `turn`: the error it threw and the parts before it. */
async function failWith(turn: Parameters<Awaited<ReturnType<typeof startOpenAIFake>>['script']>[0]) {
  await using fake = await startOpenAIFake();
  fake.script(turn);
  const result = await collectParts(providerFor(fake.url).model('gpt-test'));
  return { ...result, requests: fake.requests.length };
}

describe('openai errors, through the SDK against the fake', () => {
  it('401: provider_auth, not retryable, the provider message without the key, one request (SDK retries off)', async () => {
    await using fake = await startOpenAIFake({ apiKey: 'sk-the-right-one' });
    const { error, parts } = await collectParts(providerFor(fake.url).model('gpt-test'));
    expect(parts).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'provider_auth', retryable: false, statusCode: 401 });
    expect((error as Error).message).toMatch(/^openai\/gpt-test: 401 Incorrect API key provided/);
    expect((error as Error).message).not.toContain(TEST_API_KEY);
    expect(fake.requests).toHaveLength(1);
  });

  it('redacts the key when a server echoes it whole', async () => {
    const { error } = await failWith({ error: { status: 403, body: { error: { message: `key ${TEST_API_KEY} is not allowed`, type: 'forbidden' } } } });
    expect(error).toMatchObject({ code: 'provider_auth', message: 'openai/gpt-test: 403 key [redacted] is not allowed' });
  });

  it.each([
    [{ 'retry-after-ms': '20' }, 20],
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0' }, 0],
  ])('429 with %j: rate_limited, retryable, retryAfterMs %d', async (headers, retryAfterMs) => {
    const { error, requests } = await failWith({ error: openAIErrors.rateLimited(headers) });
    expect(error).toMatchObject({ code: 'rate_limited', retryable: true, statusCode: 429, retryAfterMs });
    expect((error as Error).message).toContain('Rate limit reached for gpt-test');
    expect(requests).toBe(1);
  });

  it('429 insufficient_quota is not retryable', async () => {
    const { error } = await failWith({
      error: { status: 429, body: { error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } } },
    });
    expect(error).toMatchObject({ code: 'rate_limited', retryable: false });
  });

  it.each([500, 502, 503])('%d: provider_unavailable, retryable, one request', async (status) => {
    const { error, requests } = await failWith({ error: openAIErrors.serverError(status) });
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true, statusCode: status });
    expect((error as Error).message).toContain('The server had an error');
    expect(requests).toBe(1);
  });

  it('400 context_length_exceeded: context_length; 404 unknown model: invalid_request; neither retryable', async () => {
    expect((await failWith({ error: openAIErrors.contextLength() })).error).toMatchObject({ code: 'context_length', retryable: false, statusCode: 400 });
    const vllm = { status: 400, body: { error: { message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.", type: 'BadRequestError', param: null, code: 400 } } };
    expect((await failWith({ error: vllm })).error).toMatchObject({ code: 'context_length' });
    const notFound = await failWith({ error: openAIErrors.modelNotFound('gpt-test') });
    expect(notFound.error).toMatchObject({ code: 'invalid_request', retryable: false, statusCode: 404 });
    expect((notFound.error as Error).message).toContain('The model `gpt-test` does not exist');
  });

  it('an in-stream {error} frame after some text: provider_unavailable with the provider message, text kept', async () => {
    const { error, text } = await failWith({ text: ['a', 'b', 'c'], streamErrorAfter: 2 });
    expect(text).toBe('ab');
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true, message: expect.stringContaining('The server had an error') });
  });

  it('an in-stream error of a compatible server is classified by its code or type', async () => {
    const frames = (error: unknown) => async (_request: unknown, response: import('node:http').ServerResponse) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(`data: ${JSON.stringify({ error })}\n\n`);
    };
    await using vllm = await startFakeServer(frames({ message: "This model's maximum context length is 4096 tokens.", type: 'BadRequestError', code: 400 }));
    expect((await collectParts(providerFor(vllm.url).model('m'))).error).toMatchObject({ code: 'context_length', statusCode: 400 });
    await using limited = await startFakeServer(frames({ message: 'slow down', type: 'tokens', code: 'rate_limit_exceeded' }));
    expect((await collectParts(providerFor(limited.url).model('m'))).error).toMatchObject({ code: 'rate_limited', retryable: true });
  });

  it('a malformed JSON chunk: provider_protocol, text before it kept', async () => {
    const { error, text } = await failWith({ text: ['one', 'two', 'three'], malformedAfter: 1 });
    expect(text).toBe('one');
    expect(error).toMatchObject({ code: 'provider_protocol', retryable: true, message: expect.stringContaining('malformed JSON') });
  });

  it('a stream closed without [DONE] fails, even when finish and usage came (the SDK would end quietly)', async () => {
    const { error, parts, text } = await failWith({ text: ['all', ' of it'], omitTerminal: true });
    expect(text).toBe('all of it');
    expect(parts.some((part) => part.type === 'finish')).toBe(false);
    expect(error).toMatchObject({ code: 'provider_protocol', retryable: true, message: expect.stringContaining('[DONE]') });
  });

  it('a stream with [DONE] but no finish_reason fails too', async () => {
    await using fake = await startFakeServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'half' } }] })}\n\ndata: [DONE]\n\n`);
    });
    const { error, text } = await collectParts(providerFor(fake.url).model('m'));
    expect(text).toBe('half');
    expect(error).toMatchObject({ code: 'provider_protocol', message: expect.stringContaining('finish_reason') });
  });

  it('a connection reset mid-stream: provider_unavailable, retryable, text kept', async () => {
    // writeFrames destroys the socket in the same tick as its last write, which Node has corked:
    // that last frame never leaves, so the client sees a prefix of the frames before the reset.
    const { error, text } = await failWith({ text: ['x', 'y', 'z'], resetAfter: 2, delayMs: 5 });
    expect(['x', 'xy']).toContain(text);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true, message: expect.stringContaining('connection lost') });
  });

  it('a refused connection: provider_unavailable, retryable', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const { error } = await collectParts(providerFor(`http://127.0.0.1:${port}`).model('gpt-test'));
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true, message: expect.stringContaining('cannot reach') });
  });

  it('tool-call arguments that are not JSON: provider_protocol, and no tool call is emitted', async () => {
    await using fake = await startFakeServer((_request, response) => {
      const chunk = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a": tru' } }] }) + chunk({}, 'tool_calls') + 'data: [DONE]\n\n');
    });
    const { error, parts } = await collectParts(providerFor(fake.url).model('m'));
    expect(parts).toEqual([]);
    expect(error).toMatchObject({ code: 'provider_protocol', retryable: true, message: expect.stringContaining('not valid JSON: {"a": tru') });
  });

  it('an abort mid-stream rethrows the abort reason as-is and closes the request', async () => {
    await using fake = await startOpenAIFake();
    fake.script({ text: Array.from({ length: 300 }, (_, index) => `w${index} `), delayMs: 10 });
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const parts: unknown[] = [];
    let abortedAt = 0;
    const stream = providerFor(fake.url).model('gpt-test').stream({ messages: [{ role: 'user', content: 'go' }], signal: controller.signal });
    const error = await (async () => {
      for await (const part of stream) {
        parts.push(part);
        if (parts.length === 3) {
          abortedAt = Date.now();
          controller.abort(reason);
        }
      }
    })().catch((caught: unknown) => caught);
    expect(error).toBe(reason);
    expect(parts).toHaveLength(3);
    await expect.poll(() => fake.requests[0]!.abortedAt).toBeDefined();
    // Long before the stream (3 s) would have ended by itself.
    expect(fake.requests[0]!.abortedAt! - abortedAt).toBeLessThan(REACTION_MS);
  });

  it('an abort before the response rethrows the abort reason too', async () => {
    await using fake = await startFakeServer(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('gone')), 30);
    const { error } = await collectParts(providerFor(fake.url).model('gpt-test'), { signal: controller.signal });
    expect(error).toEqual(new Error('gone'));
  });
});
