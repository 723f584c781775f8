import { randomUUID } from 'node:crypto';
import { isTerminalEvent } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
import type { FakeServer, FakeTurn } from '../fakes/fake-server.js';
import { openAIErrors, startOpenAIFake, type OpenAIFakeOptions } from '../fakes/openai.js';
import { REACTION_MS } from '../helpers/patience.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { collectEvents, textOf, type ReceivedEvent } from '../helpers/stream.js';

const API_KEY = 'sk-test-SECRET';

/** The fake, scripted, and a real server whose default model is `openai/gpt-test` on it. */
async function setup(turns: FakeTurn[], fakeOptions: OpenAIFakeOptions = {}) {
  const fake = await startOpenAIFake(fakeOptions);
  fake.script(...turns);
  const t = await startTestServer({
    environment: {
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: `${fake.url}/v1`,
      THREADLINE_MODEL: 'openai/gpt-test',
      THREADLINE_PROVIDER_MAX_RETRIES: '2',
      THREADLINE_PROVIDER_BACKOFF_MS: '5',
      THREADLINE_PROVIDER_IDLE_TIMEOUT_MS: '300',
    },
  });
  return {
    fake,
    t,
    async [Symbol.asyncDispose]() {
      await t.close();
      await fake.close();
    },
  };
}

/** Streams one message in a new session; `onEvent` may act mid-stream. */
function send(t: TestServer, content: string, onEvent?: (event: ReceivedEvent, events: ReceivedEvent[]) => void) {
  return collectEvents((handlers) => t.client.chat.stream.subscribe({ newSession: true, content, requestId: randomUUID() }, handlers), onEvent);
}

const chatRequests = (fake: FakeServer) => fake.requests.filter((request) => request.path === '/v1/chat/completions');

/**
 * Exactly one terminal event, last; history is the user message then the assistant message with
 * `status` and exactly the text the client saw. A run that failed before its first token keeps no
 * (empty) assistant message: the engine stores only the user message and the run's error.
 */
async function expectConsistentEnd(t: TestServer, events: ReceivedEvent[], status: 'complete' | 'failed' | 'cancelled', answered = true) {
  expect(events.filter((event) => isTerminalEvent(event.data))).toHaveLength(1);
  const terminal = events.at(-1)!.data;
  expect(isTerminalEvent(terminal)).toBe(true);
  const start = events[0]!.data;
  if (start.type !== 'run-start') throw new Error(`first event is ${start.type}`);
  const { messages } = await t.client.sessions.history.query({ sessionId: start.sessionId! });
  const run = await t.client.runs.get.query({ runId: start.runId });
  expect(run.status).toBe(status === 'complete' ? 'completed' : status);
  expect(messages[0]).toMatchObject({ role: 'user', runId: start.runId });
  if (!answered) {
    expect(messages).toHaveLength(1);
    expect(textOf(events)).toBe('');
    return { terminal, run, assistant: undefined, sessionId: start.sessionId! };
  }
  expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
  expect(messages[1]).toMatchObject({ status, content: textOf(events), model: 'openai/gpt-test', runId: start.runId });
  return { terminal, run, assistant: messages[1]!, sessionId: start.sessionId! };
}

const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index} `);

describe('openai provider through the real server and client', () => {
  it('a bad key ends in run-error provider_auth, not retried, without the key in the message', async () => {
    await using context = await setup([{ text: ['never'] }], { apiKey: 'sk-live-the-real-one' });
    const { events } = await send(context.t, 'hello');
    const { terminal, run } = await expectConsistentEnd(context.t, events, 'failed', false);
    expect(terminal).toMatchObject({ type: 'run-error', code: 'provider_auth', retryable: false });
    expect(JSON.stringify(terminal)).toContain('Incorrect API key provided');
    expect(JSON.stringify(terminal)).not.toContain(API_KEY);
    expect(JSON.stringify(run.error)).not.toContain(API_KEY);
    expect(chatRequests(context.fake)).toHaveLength(1);
  });

  it('a 429 with retry-after-ms is retried before any token reached the client, then completes', async () => {
    await using context = await setup([{ error: openAIErrors.rateLimited({ 'retry-after-ms': '40' }) }, { text: ['Hi', ' there'] }]);
    const { events } = await send(context.t, 'hello');
    const { terminal } = await expectConsistentEnd(context.t, events, 'complete');
    expect(terminal.type).toBe('run-finish');
    expect(textOf(events)).toBe('Hi there');
    const [first, second] = chatRequests(context.fake);
    expect(chatRequests(context.fake)).toHaveLength(2);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(35);
  });

  it.each([500, 503])('%d every time: maxRetries + 1 requests, then run-error provider_unavailable (retryable)', async (status) => {
    await using context = await setup([{ error: openAIErrors.serverError(status) }]);
    const { events } = await send(context.t, 'hello');
    const { terminal, run } = await expectConsistentEnd(context.t, events, 'failed', false);
    expect(terminal).toMatchObject({ type: 'run-error', code: 'provider_unavailable', retryable: true });
    expect(run).toMatchObject({ status: 'failed', error: { code: 'provider_unavailable', retryable: true } });
    expect(chatRequests(context.fake)).toHaveLength(3);
  });

  it('a connection reset mid-stream: run-error (retryable), partial text stored as failed, not retried', async () => {
    await using context = await setup([{ text: words(10), delayMs: 5, resetAfter: 4 }]);
    const { events } = await send(context.t, 'hello');
    const { terminal, assistant } = await expectConsistentEnd(context.t, events, 'failed');
    expect(terminal).toMatchObject({ type: 'run-error', code: 'provider_unavailable', retryable: true });
    expect(assistant!.content.length).toBeGreaterThan(0);
    expect('w0 w1 w2 w3 '.startsWith(assistant!.content)).toBe(true);
    expect(chatRequests(context.fake)).toHaveLength(1);
  });

  it('a malformed JSON chunk: run-error provider_protocol, partial text kept', async () => {
    await using context = await setup([{ text: words(6), malformedAfter: 3 }]);
    const { events } = await send(context.t, 'hello');
    const { terminal, assistant } = await expectConsistentEnd(context.t, events, 'failed');
    expect(terminal).toMatchObject({ type: 'run-error', code: 'provider_protocol' });
    expect(assistant!.content).toBe('w0 w1 w2 ');
    expect(chatRequests(context.fake)).toHaveLength(1);
  });

  it('a stream that ends without [DONE]: run-error provider_protocol, never run-finish', async () => {
    await using context = await setup([{ text: words(3), omitTerminal: true }]);
    const { events } = await send(context.t, 'hello');
    const { terminal, assistant } = await expectConsistentEnd(context.t, events, 'failed');
    expect(terminal).toMatchObject({ type: 'run-error', code: 'provider_protocol' });
    expect(events.some((event) => event.data.type === 'run-finish')).toBe(false);
    expect(assistant!.content).toBe('w0 w1 w2 ');
  });

  it('a stall after some text: run-error timeout from the idle timeout, partial kept', async () => {
    await using context = await setup([{ text: words(5), stallAfter: 2 }]);
    const started = Date.now();
    const { events } = await send(context.t, 'hello');
    const { terminal, assistant } = await expectConsistentEnd(context.t, events, 'failed');
    expect(terminal).toMatchObject({ type: 'run-error', code: 'timeout', retryable: true });
    expect(assistant!.content).toBe('w0 w1 ');
    expect(Date.now() - started).toBeLessThan(3000);
    await expect.poll(() => chatRequests(context.fake)[0]!.abortedAt).toBeDefined();
  });

  it("OpenAI's in-stream error frame: run-error provider_unavailable with its message, partial kept", async () => {
    await using context = await setup([{ text: words(4), streamErrorAfter: 2 }]);
    const { events } = await send(context.t, 'hello');
    const { terminal, assistant } = await expectConsistentEnd(context.t, events, 'failed');
    expect(terminal).toMatchObject({ type: 'run-error', code: 'provider_unavailable', retryable: true });
    expect((terminal as { message: string }).message).toContain('The server had an error while processing your request');
    expect(assistant!.content).toBe('w0 w1 ');
  });

  it('runs.cancel mid-stream: run-cancel, partial kept as cancelled, the fake socket closed at once', async () => {
    await using context = await setup([{ text: words(200), delayMs: 10 }]);
    let runId = '';
    let cancelledAt = 0;
    const cancels: Promise<unknown>[] = [];
    const { events } = await send(context.t, 'hello', (event) => {
      if (event.data.type === 'run-start') runId = event.data.runId;
      if (event.data.type === 'text-delta' && event.data.delta === 'w3 ') {
        cancelledAt = Date.now();
        cancels.push(context.t.client.runs.cancel.mutate({ runId }));
      }
    });
    await Promise.all(cancels);
    const { terminal, assistant } = await expectConsistentEnd(context.t, events, 'cancelled');
    expect(terminal.type).toBe('run-cancel');
    expect(assistant!.content.startsWith('w0 w1 w2 w3 ')).toBe(true);
    expect(assistant!.content.length).toBeLessThan(words(200).join('').length);
    const [request] = chatRequests(context.fake);
    await expect.poll(() => request!.abortedAt).toBeDefined();
    // Long before the stream (2 s) would have ended by itself.
    expect(request!.abortedAt! - cancelledAt).toBeLessThan(REACTION_MS);
  });

  it('usage (input, output, reasoning, cached) is stored on the message and the run and carried by run-finish', async () => {
    const usage = { inputTokens: 40, outputTokens: 7, reasoningTokens: 3, cachedInputTokens: 16 };
    await using context = await setup([{ reasoning: ['Think', 'ing'], text: ['The', ' answer'], usage }]);
    const { events } = await send(context.t, 'hello');
    const { terminal, run, assistant } = await expectConsistentEnd(context.t, events, 'complete');
    expect(terminal).toMatchObject({ type: 'run-finish', finishReason: 'stop', usage });
    expect(assistant!.usage).toEqual(usage);
    expect(assistant!.parts).toEqual([
      { type: 'reasoning', text: 'Thinking' },
      { type: 'text', text: 'The answer' },
    ]);
    expect(run).toMatchObject({ status: 'completed', usage, finishReason: 'stop' });
  });

  it("a tool call streams tool-call and tool-result, and the second request carries both in OpenAI's format", async () => {
    await using context = await setup([
      { text: ['Let me look.'], toolCalls: [{ id: 'call_abc123', name: 'lookup', input: { query: 'threadline', limit: 2 } }], usage: { inputTokens: 30, outputTokens: 12 } },
      { text: ['No such tool, sorry.'], usage: { inputTokens: 50, outputTokens: 5 } },
    ]);
    const { events } = await send(context.t, 'find it');
    const { terminal, run, sessionId } = await expectConsistentEnd(context.t, events, 'complete');
    expect(events.filter((event) => event.data.type.startsWith('tool-')).map((event) => event.data)).toEqual([
      { type: 'tool-call', callId: 'call_abc123', name: 'lookup', input: { query: 'threadline', limit: 2 } },
      { type: 'tool-result', callId: 'call_abc123', output: 'unknown tool lookup', isError: true },
    ]);
    expect(terminal).toMatchObject({ type: 'run-finish', finishReason: 'stop', usage: { inputTokens: 80, outputTokens: 17 } });
    expect(run.usage).toMatchObject({ inputTokens: 80, outputTokens: 17 });

    const system = context.t.server.services.agents.get('chat').instructions;
    const toolTurn = [
      { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'lookup', arguments: '{"query":"threadline","limit":2}' } }] },
      { role: 'tool', tool_call_id: 'call_abc123', content: 'unknown tool lookup' },
    ];
    const requests = chatRequests(context.fake);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.body.messages).toEqual([{ role: 'system', content: system }, { role: 'user', content: 'find it' }, ...toolTurn]);

    // The stored history unfolds into the same tool turn for the next message of the session.
    context.fake.script({ text: ['ok'] });
    await context.t.client.chat.send.mutate({ sessionId, content: 'again' });
    expect(chatRequests(context.fake)[2]!.body.messages).toEqual([
      { role: 'system', content: system },
      { role: 'user', content: 'find it' },
      ...toolTurn,
      { role: 'assistant', content: 'No such tool, sorry.' },
      { role: 'user', content: 'again' },
    ]);
  });

  it("models.list includes the fake's models", async () => {
    await using context = await setup([], { models: ['gpt-test', 'gpt-test-mini'] });
    const models = await context.t.client.models.list.query();
    expect(models).toContainEqual({ id: 'openai/gpt-test', provider: 'openai', name: 'gpt-test' });
    expect(models).toContainEqual({ id: 'openai/gpt-test-mini', provider: 'openai', name: 'gpt-test-mini' });
    expect(context.fake.requests.some((request) => request.path === '/v1/models')).toBe(true);
  });

  it('an agent with reasoning sends reasoning_effort; one without sends none', async () => {
    await using context = await setup([{ text: ['Thought about it.'] }, { text: ['Plain.'] }]);
    const { agents } = context.t.server.services;
    agents.register({ ...agents.get('chat'), name: 'thinker', reasoning: 'high' });
    await context.t.client.chat.send.mutate({ agent: 'thinker', content: 'think hard' });
    await context.t.client.chat.send.mutate({ content: 'do not' });
    const [thinking, plain] = chatRequests(context.fake).map((request) => request.body);
    expect(thinking).toMatchObject({ reasoning_effort: 'high' });
    expect(plain).not.toHaveProperty('reasoning_effort');
  });

  it("an agent's maxOutputTokens bounds every model call of its answers; one without sends none", async () => {
    await using context = await setup([{ text: ['Short.'] }, { text: ['Plain.'] }]);
    const { agents } = context.t.server.services;
    agents.register({ ...agents.get('chat'), name: 'brief', maxOutputTokens: 64 });
    expect(await context.t.client.agents.get.query({ agent: 'brief' })).toMatchObject({ maxOutputTokens: 64 });
    await context.t.client.chat.send.mutate({ agent: 'brief', content: 'be brief' });
    await context.t.client.chat.send.mutate({ content: 'as you like' });
    const [brief, plain] = chatRequests(context.fake).map((request) => request.body);
    // max_tokens for an OpenAI-compatible server (as the fake is), max_completion_tokens for OpenAI's own.
    expect((brief as { max_tokens?: number; max_completion_tokens?: number }).max_tokens ?? (brief as { max_completion_tokens?: number }).max_completion_tokens).toBe(64);
    expect(plain).not.toHaveProperty('max_completion_tokens');
    expect(plain).not.toHaveProperty('max_tokens');
  });
});
