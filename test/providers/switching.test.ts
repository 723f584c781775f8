import { describe, expect, it } from 'vitest';
import { startAnthropicFake } from '../fakes/anthropic.js';
import { startOllamaFake } from '../fakes/ollama.js';
import { startOpenAIFake } from '../fakes/openai.js';
import { startTestServer } from '../helpers/server.js';

const chatRequests = (requests: { method: string; path: string; body: any }[], path: string) =>
  requests.filter((request) => request.method === 'POST' && request.path === path).map((request) => request.body);

describe('one session across providers', () => {
  it('alternates OpenAI, Anthropic and Ollama turns, converting the whole history (tool calls and results included) for each', async () => {
    await using openai = await startOpenAIFake();
    await using anthropic = await startAnthropicFake();
    await using ollama = await startOllamaFake();
    openai.script(
      { toolCalls: [{ id: 'call_lookup_1', name: 'lookup', input: { q: 'weather' } }], stopReason: 'tool_calls' },
      { text: ['From', ' OpenAI'] },
      { text: ['OpenAI', ' again'] },
    );
    anthropic.script({ text: ['From', ' Claude'] });
    ollama.script({ text: ['From', ' Ollama'] });
    await using t = await startTestServer({
      environment: {
        OPENAI_API_KEY: 'sk-test-switching',
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: 'sk-ant-test-switching',
        ANTHROPIC_BASE_URL: anthropic.url,
        OLLAMA_HOST: ollama.url,
        THREADLINE_MODEL: 'openai/gpt-test',
      },
    });

    const first = await t.client.chat.send.mutate({ newSession: true, content: 'first question' });
    expect(first.message.content).toBe('From OpenAI');
    const sessionId = first.sessionId!;
    const second = await t.client.chat.send.mutate({ sessionId, content: 'second question', model: 'anthropic/claude-test' });
    expect(second.message.content).toBe('From Claude');
    // The session's own model now decides: switch it to Ollama, then send without naming a model.
    await t.client.sessions.update.mutate({ sessionId, model: 'ollama/llama3.2:latest' });
    const third = await t.client.chat.send.mutate({ sessionId, content: 'third question' });
    expect(third.message.content).toBe('From Ollama');
    const fourth = await t.client.chat.send.mutate({ sessionId, content: 'fourth question', model: 'openai/gpt-test' });
    expect(fourth.message.content).toBe('OpenAI again');

    const { messages } = await t.client.sessions.history.query({ sessionId });
    expect(messages.filter((message) => message.role === 'assistant').map((message) => message.model)).toEqual([
      'openai/gpt-test',
      'anthropic/claude-test',
      'ollama/llama3.2:latest',
      'openai/gpt-test',
    ]);

    // Anthropic saw OpenAI's tool call as tool_use and its error result as a user tool_result block.
    const [claudeRequest] = chatRequests(anthropic.requests, '/v1/messages');
    expect(claudeRequest.model).toBe('claude-test');
    expect(claudeRequest.system).toEqual(expect.stringContaining('Threadline'));
    expect(claudeRequest.messages.map((message: { role: string }) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(claudeRequest.messages[1].content).toContainEqual({ type: 'tool_use', id: 'call_lookup_1', name: 'lookup', input: { q: 'weather' } });
    expect(claudeRequest.messages[2].content).toContainEqual(
      expect.objectContaining({ type: 'tool_result', tool_use_id: 'call_lookup_1', is_error: true }),
    );
    expect(JSON.stringify(claudeRequest.messages[3].content)).toContain('From OpenAI');
    expect(JSON.stringify(claudeRequest.messages[4].content)).toContain('second question');

    // Ollama saw the system prompt, the tool call with object arguments, the tool result, and both answers.
    const [ollamaRequest] = chatRequests(ollama.requests, '/api/chat');
    expect(ollamaRequest.model).toBe('llama3.2:latest');
    const ollamaRoles = ollamaRequest.messages.map((message: { role: string }) => message.role);
    expect(ollamaRoles).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user', 'assistant', 'user']);
    expect(ollamaRequest.messages[2].tool_calls[0].function).toEqual({ name: 'lookup', arguments: { q: 'weather' } });
    expect(ollamaRequest.messages[6].content).toBe('From Claude');

    // Back on OpenAI: every earlier turn, whoever answered it, in OpenAI's format.
    const openaiRequests = chatRequests(openai.requests, '/v1/chat/completions');
    expect(openaiRequests).toHaveLength(3);
    const last = openaiRequests[2];
    const roles = last.messages.map((message: { role: string }) => message.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user']);
    expect(last.messages[2].tool_calls[0]).toMatchObject({ id: 'call_lookup_1', type: 'function', function: { name: 'lookup' } });
    expect(JSON.parse(last.messages[2].tool_calls[0].function.arguments)).toEqual({ q: 'weather' });
    expect(last.messages[3]).toMatchObject({ role: 'tool', tool_call_id: 'call_lookup_1' });
    expect(last.messages.slice(6, 9).map((message: { content: unknown }) => message.content)).toEqual(['From Claude', 'third question', 'From Ollama']);
  });

  it('models.list shows every configured provider, each list cached', async () => {
    await using openai = await startOpenAIFake();
    await using anthropic = await startAnthropicFake();
    await using ollama = await startOllamaFake();
    await using t = await startTestServer({
      environment: {
        OPENAI_API_KEY: 'sk-test-models',
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: 'sk-ant-test-models',
        ANTHROPIC_BASE_URL: anthropic.url,
        OLLAMA_HOST: ollama.url,
      },
    });
    const ids = (await t.client.models.list.query()).map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['local/echo', 'openai/gpt-test', 'anthropic/claude-opus-4-5-20251101', 'ollama/llama3.2:latest']));
    await t.client.models.list.query();
    const listed = (fake: { requests: { method: string }[] }) => fake.requests.filter((request) => request.method === 'GET').length;
    expect([listed(openai), listed(anthropic), listed(ollama)]).toEqual([1, 1, 1]);
    const info = await t.clientFor().system.info.query();
    expect(info.providers.map((provider) => provider.name).sort()).toEqual(['anthropic', 'local', 'ollama', 'openai']);
    expect(JSON.stringify(info)).not.toContain('sk-');
  });
});
