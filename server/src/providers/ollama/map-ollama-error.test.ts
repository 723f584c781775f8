import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startFakeServer, type FakeTurn } from '../../../../test/fakes/fake-server.js';
import { startOllamaFake } from '../../../../test/fakes/ollama.js';
import { ProviderError, type ModelPart } from '../types.js';
import { OllamaChatModel } from './ollama-chat-model.js';
import { parseOllamaHost } from './ollama-client.js';

/** Streams one answer from `host`; returns the parts that arrived and what was thrown. */
async function attempt(host: string) {
  const parts: ModelPart[] = [];
  try {
    const model = new OllamaChatModel('llama3.2', parseOllamaHost(host));
    for await (const part of model.stream({ messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal })) parts.push(part);
  } catch (error) {
    return { parts, error };
  }
  throw new Error(`no error; parts: ${JSON.stringify(parts)}`);
}

async function failWith(turn: FakeTurn) {
  await using fake = await startOllamaFake();
  fake.script(turn);
  return { ...(await attempt(fake.url)), requests: fake.requests.length };
}

describe('Ollama failures → ProviderError', () => {
  it.each([
    [401, { error: 'unauthorized' }, 'provider_auth', false],
    [403, { error: 'forbidden' }, 'provider_auth', false],
    [404, { error: 'model "llama3.2" not found, try pulling it first' }, 'invalid_request', false],
    [400, { error: 'registry.ollama.ai/library/llama3.2:latest does not support tools' }, 'invalid_request', false],
    [400, { error: 'the input length exceeds the context length' }, 'context_length', false],
    [500, { error: 'llama runner process has terminated: exit status 2' }, 'provider_unavailable', true],
    [503, { error: 'server busy, please try again.  maximum pending requests exceeded' }, 'provider_unavailable', true],
  ] as const)('HTTP %i %j → %s', async (status, body, code, retryable) => {
    const { error, parts } = await failWith({ error: { status, body } });
    expect(parts).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code, retryable, statusCode: status, message: `ollama/llama3.2: ${status} ${body.error}` });
  });

  it('429 → rate_limited with the retry-after the package itself drops', async () => {
    const seconds = await failWith({ error: { status: 429, body: { error: 'too many requests' }, headers: { 'retry-after': '2' } } });
    expect(seconds.error).toMatchObject({ code: 'rate_limited', retryable: true, statusCode: 429, retryAfterMs: 2000 });
    const milliseconds = await failWith({ error: { status: 429, body: { error: 'slow down' }, headers: { 'retry-after-ms': '20' } } });
    expect(milliseconds.error).toMatchObject({ code: 'rate_limited', retryAfterMs: 20 });
  });

  it('an HTTP error with a plain-text body (a proxy in front of Ollama) keeps that text', async () => {
    await using fake = await startFakeServer((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway from the proxy');
    });
    const { error } = await attempt(fake.url);
    expect(error).toMatchObject({ code: 'provider_unavailable', statusCode: 502 });
    expect((error as Error).message).toContain('Bad Gateway from the proxy');
  });

  it('an {"error"} line mid-stream → provider_unavailable with its message, after the text that came', async () => {
    const { error, parts } = await failWith({ text: ['par', 'tial', 'more'], streamErrorAfter: 2 });
    expect(parts).toEqual([
      { type: 'text-delta', delta: 'par' },
      { type: 'text-delta', delta: 'tial' },
    ]);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect((error as Error).message).toContain('unexpected EOF');
  });

  it('a stream without the done line → provider_protocol, never a finish', async () => {
    const { error, parts } = await failWith({ text: ['a', 'b'], omitTerminal: true });
    expect(parts.map((part) => part.type)).toEqual(['text-delta', 'text-delta']);
    expect(error).toMatchObject({ code: 'provider_protocol', retryable: true });
  });

  it('a malformed line → provider_protocol (the package would skip it)', async () => {
    const { error, parts } = await failWith({ text: ['a', 'b', 'c'], malformedAfter: 1 });
    expect(parts).toEqual([{ type: 'text-delta', delta: 'a' }]);
    expect(error).toMatchObject({ code: 'provider_protocol' });
    expect((error as Error).message).toContain('malformed JSON line');
  });

  it('a malformed line followed by valid lines and done still fails: no piece of the answer is lost silently', async () => {
    await using fake = await startFakeServer((_request, response) => {
      const line = (content: string, done = false) =>
        `${JSON.stringify({ model: 'llama3.2', created_at: '2025-01-01T00:00:00Z', message: { role: 'assistant', content }, done, ...(done ? { done_reason: 'stop' } : {}) })}\n`;
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.end(line('one') + '{"model":"llama3.2","message":{"con\n' + line(' three') + line('', true));
    });
    const { error, parts } = await attempt(fake.url);
    expect(parts).toEqual([{ type: 'text-delta', delta: 'one' }]);
    expect(error).toMatchObject({ code: 'provider_protocol' });
  });

  it('a line that is JSON but not a chat chunk → provider_protocol', async () => {
    await using fake = await startFakeServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/x-ndjson' });
      response.end('{"model":"llama3.2","message":{"content":42},"done":false}\n');
    });
    expect((await attempt(fake.url)).error).toMatchObject({ code: 'provider_protocol' });
  });

  it('a connection reset mid-stream → provider_unavailable after the partial text', async () => {
    // The delay lets the first lines leave the fake before it destroys the socket.
    const { error, parts } = await failWith({ text: ['a', 'b', 'c'], resetAfter: 2, delayMs: 5 });
    expect(parts[0]).toEqual({ type: 'text-delta', delta: 'a' });
    expect(parts.every((part) => part.type === 'text-delta')).toBe(true);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
  });

  it('connection refused → provider_unavailable', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const { error } = await attempt(`http://127.0.0.1:${port}`);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('never shows the credentials of OLLAMA_HOST, even when the server echoes them', async () => {
    await using fake = await startFakeServer((request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: `bad credentials: ${request.headers.authorization} (hunter2-secret)` }));
    });
    const { error } = await attempt(fake.url.replace('http://', 'http://threadline:hunter2-secret@'));
    expect(error).toMatchObject({ code: 'provider_auth' });
    const token = Buffer.from('threadline:hunter2-secret').toString('base64');
    expect((error as Error).message).not.toContain('hunter2-secret');
    expect((error as Error).message).not.toContain(token);
    expect((error as Error).message).toContain('[redacted]');
  });
});
