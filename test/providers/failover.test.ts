import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { anthropicErrorBody, startAnthropicFake } from '../fakes/anthropic.js';
import { startOllamaFake } from '../fakes/ollama.js';
import { openAIErrors, startOpenAIFake } from '../fakes/openai.js';
import { writeAgentsFile } from '../fixtures/agents-files.js';
import { errorOf } from '../helpers/errors.js';
import { freePort } from '../helpers/process.js';
import { startTestServer } from '../helpers/server.js';
import { collectEvents, textOf } from '../helpers/stream.js';

const modelRequests = (requests: { method: string; path: string }[], path: string) => requests.filter((request) => request.method === 'POST' && request.path === path).length;

const AGENTS = `agents:
  - name: sturdy
    instructions: You are sturdy.
    model: anthropic/claude-test
    fallbacks: [ollama/llama3.2:latest, openai/gpt-test]
`;

describe('failover: fallback models take over when the model fails before its first token', () => {
  it('goes from OpenAI (500 after retries) to Anthropic and from Anthropic (401) to Ollama; the event, the message and the run say who answered', async () => {
    await using openai = await startOpenAIFake();
    await using anthropic = await startAnthropicFake();
    await using ollama = await startOllamaFake();
    await using agentsFile = await writeAgentsFile(AGENTS);
    const environment = {
      OPENAI_API_KEY: 'sk-test-failover',
      OPENAI_BASE_URL: `${openai.url}/v1`,
      ANTHROPIC_API_KEY: 'sk-ant-test-failover',
      ANTHROPIC_BASE_URL: anthropic.url,
      OLLAMA_HOST: ollama.url,
      THREADLINE_MODEL: 'openai/gpt-test',
      THREADLINE_PROVIDER_BACKOFF_MS: '1',
      THREADLINE_AGENTS_FILE: agentsFile.path,
    };
    await using t = await startTestServer({ environment });

    // OpenAI answers 500 to every attempt; Anthropic, named by the request, answers.
    openai.script({ error: openAIErrors.serverError(500) });
    anthropic.script({ text: ['Claude', ' here'] });
    const { events } = await collectEvents((handlers) =>
      t.client.chat.stream.subscribe({ newSession: true, content: 'hello', requestId: randomUUID(), fallbacks: ['anthropic/claude-test'] }, handlers),
    );
    expect(events.map((event) => event.data.type)).toEqual(['run-start', 'model-fallback', 'text-delta', 'message-end', 'run-finish']);
    expect(events[0]!.data).toMatchObject({ type: 'run-start', model: 'openai/gpt-test' });
    expect(events[1]!.data).toMatchObject({ type: 'model-fallback', from: 'openai/gpt-test', to: 'anthropic/claude-test', code: 'provider_unavailable' });
    expect(textOf(events)).toBe('Claude here');
    expect(modelRequests(openai.requests, '/v1/chat/completions')).toBe(3);
    const end = events[3]!.data;
    if (end.type !== 'message-end') throw new Error('expected message-end');
    expect(end.message.model).toBe('anthropic/claude-test');
    const { runId, sessionId } = events[0]!.data as { runId: string; sessionId: string };
    expect(await t.client.runs.get.query({ runId })).toMatchObject({ status: 'completed', model: 'anthropic/claude-test' });
    const history = await t.client.sessions.history.query({ sessionId });
    expect(history.messages.at(-1)).toMatchObject({ role: 'assistant', model: 'anthropic/claude-test', content: 'Claude here' });

    // The agent's own list: Anthropic refuses the key (401, never retried), Ollama answers.
    anthropic.script({ error: { status: 401, body: anthropicErrorBody('authentication_error', 'invalid x-api-key') } });
    ollama.script({ text: ['Llama', ' here'] });
    const before = modelRequests(anthropic.requests, '/v1/messages');
    const sturdy = await t.client.chat.send.mutate({ newSession: true, agent: 'sturdy', content: 'hi' });
    expect(sturdy).toMatchObject({ status: 'completed', message: { content: 'Llama here', model: 'ollama/llama3.2:latest' } });
    expect(modelRequests(anthropic.requests, '/v1/messages') - before).toBe(1);
    expect((await t.client.agents.get.query({ agent: 'sturdy' })).fallbacks).toEqual(['ollama/llama3.2:latest', 'openai/gpt-test']);
  });

  it('an unreachable Ollama hands over to OpenAI', async () => {
    await using openai = await startOpenAIFake();
    const closedPort = await freePort();
    await using t = await startTestServer({
      environment: {
        OPENAI_API_KEY: 'sk-test-failover',
        OPENAI_BASE_URL: `${openai.url}/v1`,
        OLLAMA_HOST: `http://127.0.0.1:${closedPort}`,
        THREADLINE_MODEL: 'ollama/llama3.2:latest',
        THREADLINE_PROVIDER_BACKOFF_MS: '1',
      },
    });
    openai.script({ text: ['OpenAI', ' here'] });
    const answer = await t.client.chat.send.mutate({ newSession: true, content: 'hi', fallbacks: ['openai/gpt-test'] });
    expect(answer).toMatchObject({ status: 'completed', message: { content: 'OpenAI here', model: 'openai/gpt-test' } });
  });

  it('never after bytes reached the client, never for a refused request, and only to models that are configured', async () => {
    await using openai = await startOpenAIFake();
    await using anthropic = await startAnthropicFake();
    await using t = await startTestServer({
      environment: {
        OPENAI_API_KEY: 'sk-test-failover',
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: 'sk-ant-test-failover',
        ANTHROPIC_BASE_URL: anthropic.url,
        THREADLINE_MODEL: 'openai/gpt-test',
        THREADLINE_PROVIDER_BACKOFF_MS: '1',
      },
    });
    const fallbacks = ['anthropic/claude-test'];
    // Text went out, then the connection broke: the run fails with its partial answer, Anthropic is never asked.
    openai.script({ text: ['partial', ' answer', ' more'], resetAfter: 2 });
    const broken = await t.client.chat.send.mutate({ newSession: true, content: 'hi', fallbacks });
    expect(broken.status).toBe('failed');
    expect(broken.message.content).toBe('partial answer');
    // The conversation is too long for the model: another model would not help, and it is not asked.
    openai.script({ error: openAIErrors.contextLength() });
    const tooLong = await t.client.chat.send.mutate({ newSession: true, content: 'hi', fallbacks });
    expect(tooLong.error?.code).toBe('context_length');
    expect(modelRequests(anthropic.requests, '/v1/messages')).toBe(0);

    expect((await errorOf(t.client.chat.send.mutate({ newSession: true, content: 'hi', fallbacks: ['ollama/llama3.2:latest'] }))).code).toBe('BAD_REQUEST');
  });
});
