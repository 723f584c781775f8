import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fakes/fake-server.js';
import { startOllamaFake } from '../fakes/ollama.js';
import { REACTION_MS } from '../helpers/patience.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { collectEvents, textOf, type ReceivedEvent } from '../helpers/stream.js';

const SECRET = 'ollama-SECRET-key';

/** A real Threadline server whose default model is `ollama/llama3.2` on a fresh Ollama fake. */
async function setup(options: { credentials?: boolean } = {}) {
  const fake = await startOllamaFake();
  const host = options.credentials ? fake.url.replace('http://', `http://threadline:${SECRET}@`) : fake.url;
  const t = await startTestServer({
    environment: {
      OLLAMA_HOST: host,
      THREADLINE_MODEL: 'ollama/llama3.2',
      THREADLINE_PROVIDER_BACKOFF_MS: '5',
      THREADLINE_PROVIDER_IDLE_TIMEOUT_MS: '300',
    },
  });
  return {
    fake,
    t,
    chatRequests: () => fake.requests.filter((request) => request.path === '/api/chat'),
    async [Symbol.asyncDispose]() {
      await t.close();
      await fake.close();
    },
  };
}

/** Streams one message in a new session; returns the events, the run and the stored history. */
async function chat(t: TestServer, content: string, onEvent?: (event: ReceivedEvent) => void) {
  const { events, error } = await collectEvents(
    (handlers) => t.client.chat.stream.subscribe({ newSession: true, content, requestId: randomUUID() }, handlers),
    onEvent,
  );
  expect(error).toBeUndefined();
  const start = events[0]!.data;
  if (start.type !== 'run-start') throw new Error(`first event is ${start.type}`);
  const terminal = events.filter((event) => ['run-finish', 'run-error', 'run-cancel'].includes(event.data.type));
  expect(terminal).toHaveLength(1);
  expect(events.at(-1)).toBe(terminal[0]);
  const { messages } = await t.client.sessions.history.query({ sessionId: start.sessionId! });
  const run = await t.client.runs.get.query({ runId: start.runId });
  return { events, last: events.at(-1)!.data, messages, run, text: textOf(events) };
}

/** A failure after some text: one run-error, and the partial text stored as a failed answer. */
async function expectPartialFailure(turn: FakeTurn, code: string) {
  await using context = await setup();
  context.fake.script(turn);
  const result = await chat(context.t, 'tell me a story');
  expect(result.last).toMatchObject({ type: 'run-error', code, retryable: true });
  expect(result.text.length).toBeGreaterThan(0);
  expect(result.messages.map((message) => [message.role, message.status])).toEqual([
    ['user', 'complete'],
    ['assistant', 'failed'],
  ]);
  expect(result.messages[1]!.content).toBe(result.text);
  expect(result.run).toMatchObject({ status: 'failed', error: { code } });
  expect(context.chatRequests()).toHaveLength(1);
  return result;
}

const pieces = (count: number) => Array.from({ length: count }, (_, index) => `w${index} `);

describe('Ollama through the real server and client', () => {
  it('streams reasoning and text, stores usage on the message and the run, and run-finish carries it', async () => {
    await using context = await setup();
    context.fake.script({ reasoning: ['hmm', ' ok'], text: ['Hello', ', world'], usage: { inputTokens: 31, outputTokens: 7 } });
    const result = await chat(context.t, 'hi');
    const usage = { inputTokens: 31, outputTokens: 7 };
    expect(result.last).toMatchObject({ type: 'run-finish', usage, finishReason: 'stop' });
    // Lines that arrive in one network chunk are merged into one frame; the text is unchanged.
    const reasoning = result.events.flatMap(({ data }) => (data.type === 'reasoning-delta' ? [data.delta] : []));
    expect(reasoning.join('')).toBe('hmm ok');
    expect(result.messages[1]).toMatchObject({ role: 'assistant', status: 'complete', content: 'Hello, world', usage, model: 'ollama/llama3.2' });
    expect(result.messages[1]!.parts).toEqual([
      { type: 'reasoning', text: 'hmm ok' },
      { type: 'text', text: 'Hello, world' },
    ]);
    expect(result.run).toMatchObject({ status: 'completed', usage, finishReason: 'stop' });
    const system = context.t.server.services.agents.get('chat').instructions;
    expect(context.chatRequests()[0]!.body).toMatchObject({ model: 'llama3.2', stream: true, messages: [{ role: 'system', content: system }, { role: 'user', content: 'hi' }] });
  });

  it('bad credentials: 401 → provider_auth, not retried, the key never in the message', async () => {
    await using context = await setup({ credentials: true });
    context.fake.script({ error: { status: 401, body: { error: 'unauthorized' } } });
    const result = await chat(context.t, 'hi');
    expect(result.last).toMatchObject({ type: 'run-error', code: 'provider_auth', retryable: false });
    const message = (result.last as { message: string }).message;
    expect(message).toContain('unauthorized');
    expect(message).not.toContain(SECRET);
    expect(JSON.stringify(result.run)).not.toContain(SECRET);
    expect(context.chatRequests()).toHaveLength(1);
    expect(context.chatRequests()[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`threadline:${SECRET}`).toString('base64')}`);
    expect(result.messages.map((stored) => stored.role)).toEqual(['user']);
  });

  it('429 with retry-after-ms, then success → retried before any token, the run completes', async () => {
    await using context = await setup();
    context.fake.script({ error: { status: 429, body: { error: 'too many requests' }, headers: { 'retry-after-ms': '20' } } }, { text: ['after', ' waiting'] });
    const result = await chat(context.t, 'hi');
    expect(result.last).toMatchObject({ type: 'run-finish' });
    expect(result.text).toBe('after waiting');
    const [first, second] = context.chatRequests();
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(15);
    expect(context.chatRequests()).toHaveLength(2);
    expect(result.messages[1]).toMatchObject({ status: 'complete', content: 'after waiting' });
  });

  it.each([500, 503])('%i every time → bounded retries, then provider_unavailable', async (status) => {
    await using context = await setup();
    context.fake.script({ error: { status, body: { error: 'llama runner process has terminated' } } });
    const result = await chat(context.t, 'hi');
    expect(result.last).toMatchObject({ type: 'run-error', code: 'provider_unavailable', retryable: true });
    expect(context.chatRequests()).toHaveLength(3);
    expect(result.run).toMatchObject({ status: 'failed', error: { code: 'provider_unavailable', retryable: true } });
    expect(result.messages.map((stored) => stored.role)).toEqual(['user']);
  });

  it('a connection reset mid-stream → run-error, partial text kept as failed, not retried', async () => {
    await expectPartialFailure({ text: pieces(8), delayMs: 10, resetAfter: 4 }, 'provider_unavailable');
  });

  it('a malformed JSON line mid-stream → provider_protocol, partial text kept', async () => {
    await expectPartialFailure({ text: pieces(8), delayMs: 5, malformedAfter: 3 }, 'provider_protocol');
  });

  it('a stream without the done: true line → provider_protocol, never run-finish', async () => {
    const result = await expectPartialFailure({ text: pieces(4), delayMs: 5, omitTerminal: true }, 'provider_protocol');
    expect(result.events.some((event) => event.data.type === 'run-finish')).toBe(false);
    expect(result.text).toBe(pieces(4).join(''));
  });

  it('a stall with no bytes after some text → timeout, partial text kept', async () => {
    const result = await expectPartialFailure({ text: pieces(8), delayMs: 5, stallAfter: 3 }, 'timeout');
    expect(result.text).toBe(pieces(3).join(''));
  });

  it('an {"error"} line in the stream → provider_unavailable with Ollama\'s message', async () => {
    const result = await expectPartialFailure({ text: pieces(6), delayMs: 5, streamErrorAfter: 2 }, 'provider_unavailable');
    expect((result.last as { message: string }).message).toContain('unexpected EOF');
  });

  it('runs.cancel mid-stream → run-cancel, and the fake sees its socket closed at once', async () => {
    await using context = await setup();
    context.fake.script({ text: pieces(300), delayMs: 10 });
    let runId = '';
    let cancelledAt = 0;
    const cancels: Promise<unknown>[] = [];
    const result = await chat(context.t, 'hi', (event) => {
      if (event.data.type === 'run-start') runId = event.data.runId;
      if (event.data.type === 'text-delta' && !cancelledAt && textOf([event]) === 'w2 ') {
        cancelledAt = Date.now();
        cancels.push(context.t.client.runs.cancel.mutate({ runId }));
      }
    });
    await Promise.all(cancels);
    expect(result.last.type).toBe('run-cancel');
    await expect.poll(() => context.chatRequests()[0]!.abortedAt).toBeDefined();
    // Long before the stream (3 s) would have ended by itself.
    expect(context.chatRequests()[0]!.abortedAt! - cancelledAt).toBeLessThan(REACTION_MS);
    expect(result.messages[1]).toMatchObject({ status: 'cancelled', content: result.text });
    expect(result.text.length).toBeLessThan(pieces(300).join('').length);
  });

  it('a tool call streams tool-call and tool-result, and the second request carries both in Ollama\'s format', async () => {
    await using context = await setup();
    context.fake.script(
      { toolCalls: [{ id: 'unused', name: 'lookup', input: { query: 'threadline', limit: 3 } }], usage: { inputTokens: 20, outputTokens: 5 } },
      { text: ['No such tool.'], usage: { inputTokens: 40, outputTokens: 4 } },
    );
    const result = await chat(context.t, 'look it up');
    const call = result.events.find((event) => event.data.type === 'tool-call')!.data;
    expect(call).toMatchObject({ type: 'tool-call', name: 'lookup', input: { query: 'threadline', limit: 3 }, callId: expect.stringMatching(/^call_0_/) });
    const toolResult = result.events.find((event) => event.data.type === 'tool-result')!.data;
    expect(toolResult).toEqual({ type: 'tool-result', callId: (call as { callId: string }).callId, output: 'unknown tool lookup', isError: true });
    expect(result.last).toMatchObject({ type: 'run-finish', finishReason: 'stop', usage: { inputTokens: 60, outputTokens: 9 } });

    const requests = context.chatRequests();
    expect(requests).toHaveLength(2);
    expect(requests[1]!.body.messages.slice(1)).toEqual([
      { role: 'user', content: 'look it up' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'lookup', arguments: { query: 'threadline', limit: 3 } } }] },
      { role: 'tool', tool_name: 'lookup', content: JSON.stringify({ error: 'unknown tool lookup' }) },
    ]);
    expect(result.messages[1]!.parts.map((part) => part.type)).toEqual(['tool-call', 'tool-result', 'text']);

    // The stored history converts back to the same Ollama messages on the next turn.
    await context.t.client.chat.send.mutate({ sessionId: result.messages[0]!.sessionId!, content: 'and now?' });
    expect(context.chatRequests()[2]!.body.messages.slice(1, 5)).toEqual([...requests[1]!.body.messages.slice(1), { role: 'assistant', content: 'No such tool.' }]);
  });

  it('models.list includes the models the Ollama server has pulled', async () => {
    await using context = await setup();
    const models = await context.t.client.models.list.query();
    expect(models).toContainEqual({ id: 'ollama/llama3.2:latest', provider: 'ollama', name: 'llama3.2:latest' });
    expect(models).toContainEqual({ id: 'ollama/qwen3:8b', provider: 'ollama', name: 'qwen3:8b' });
  });

  it('an agent with reasoning asks Ollama to think at that level; one without does not', async () => {
    await using context = await setup();
    context.fake.script({ reasoning: ['hmm'], text: ['Thought.'] }, { text: ['Plain.'] });
    const { agents } = context.t.server.services;
    agents.register({ ...agents.get('chat'), name: 'thinker', reasoning: 'low' });
    const thought = await context.t.client.chat.send.mutate({ agent: 'thinker', content: 'think' });
    expect(thought.message.parts).toEqual([
      { type: 'reasoning', text: 'hmm' },
      { type: 'text', text: 'Thought.' },
    ]);
    await context.t.client.chat.send.mutate({ content: 'do not' });
    const [thinking, plain] = context.chatRequests().map((request) => request.body);
    expect(thinking).toMatchObject({ think: 'low' });
    expect(plain).not.toHaveProperty('think');
  });
});

