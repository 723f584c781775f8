import { describe, expect, it } from 'vitest';
import { startOllamaFake } from '../../../../test/fakes/ollama.js';
import type { ResiliencePolicy } from '../resilient-model.js';
import type { ModelPart } from '../types.js';
import { createOllamaProvider } from './index.js';
import { parseOllamaHost } from './ollama-client.js';

const policy: ResiliencePolicy = { maxRetries: 2, initialBackoffMs: 1, maxBackoffMs: 50, idleTimeoutMs: 300 };

describe('the Ollama provider', () => {
  it('lists the models pulled on the server from GET /api/tags', async () => {
    await using fake = await startOllamaFake({ models: ['llama3.2:latest', 'qwen3:8b', 'gpt-oss:20b'] });
    const provider = createOllamaProvider({ host: fake.url }, policy);
    expect(provider).toMatchObject({ name: 'ollama', baseUrl: fake.url });
    expect(await provider.listModels()).toEqual(['llama3.2:latest', 'qwen3:8b', 'gpt-oss:20b']);
    expect(fake.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /api/tags']);
  });

  it('listModels fails as a ProviderError and honours its signal', async () => {
    await using fake = await startOllamaFake({ authorization: 'Basic nothing-matches' });
    const provider = createOllamaProvider({ host: fake.url }, policy);
    await expect(provider.listModels()).rejects.toMatchObject({ code: 'provider_auth', statusCode: 401 });
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(provider.listModels(controller.signal)).rejects.toThrow('gone');
  });

  it('sends credentials from OLLAMA_HOST as Basic authorization and never shows them', async () => {
    const authorization = `Basic ${Buffer.from('threadline:s3cret-key').toString('base64')}`;
    await using fake = await startOllamaFake({ authorization });
    const host = fake.url.replace('http://', 'http://threadline:s3cret-key@');
    const provider = createOllamaProvider({ host }, policy);
    expect(provider.baseUrl).toBe(fake.url);
    expect(await provider.listModels()).toContain('llama3.2:latest');
    const parts: ModelPart[] = [];
    for await (const part of provider.model('llama3.2').stream({ messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal })) {
      parts.push(part);
    }
    expect(parts.at(-1)).toEqual({ type: 'finish', finishReason: 'stop' });
    expect(fake.requests.every((request) => request.headers.authorization === authorization)).toBe(true);
  });

  it('model(name) is wrapped by the shared retry policy: a 503 before the first token is retried', async () => {
    await using fake = await startOllamaFake();
    fake.script({ error: { status: 503, body: { error: 'server busy, please try again.  maximum pending requests exceeded' } } }, { text: ['fine'] });
    const model = createOllamaProvider({ host: fake.url }, policy).model('llama3.2');
    expect(model.id).toBe('ollama/llama3.2');
    const parts: ModelPart[] = [];
    for await (const part of model.stream({ messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal })) parts.push(part);
    expect(parts[0]).toEqual({ type: 'text-delta', delta: 'fine' });
    expect(fake.requests).toHaveLength(2);
  });
});

describe('parseOllamaHost', () => {
  it('keeps scheme, host, port and path, and assumes http:// like the ollama CLI', () => {
    expect(parseOllamaHost('http://127.0.0.1:11434/')).toEqual({ host: 'http://127.0.0.1:11434', headers: {}, secrets: [] });
    expect(parseOllamaHost('localhost:11434').host).toBe('http://localhost:11434');
    expect(parseOllamaHost('https://gpu-box.example/ollama').host).toBe('https://gpu-box.example/ollama');
  });

  it('moves credentials into a header and lists them as secrets', () => {
    const connection = parseOllamaHost('https://me:p%40ss-word@gpu-box.example');
    const token = Buffer.from('me:p@ss-word').toString('base64');
    expect(connection).toEqual({ host: 'https://gpu-box.example', headers: { authorization: `Basic ${token}` }, secrets: ['p@ss-word', token] });
  });
});
