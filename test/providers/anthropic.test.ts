import { randomUUID } from 'node:crypto';
import { isTerminalEvent, type StreamEvent } from '@threadline/shared';
import { describe, expect, it } from 'vitest';
import { anthropicErrorBody, startAnthropicFake } from '../fakes/anthropic.js';
import type { FakeServer, FakeTurn } from '../fakes/fake-server.js';
import { REACTION_MS } from '../helpers/patience.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { collectEvents, textOf, type ReceivedEvent } from '../helpers/stream.js';

const API_KEY = 'sk-ant-test-SECRET-fault-matrix';
const TEXT = ['Hello', ' there', ' friend'];

/** The real server and client, configured for Anthropic at the fake. */
async function setup(...turns: FakeTurn[]): Promise<{ fake: FakeServer; t: TestServer; [Symbol.asyncDispose](): Promise<void> }> {
  const fake = await startAnthropicFake();
  fake.script(...turns);
  const t = await startTestServer({
    environment: {
      ANTHROPIC_API_KEY: API_KEY,
      ANTHROPIC_BASE_URL: fake.url,
      THREADLINE_MODEL: 'anthropic/claude-test-model',
      THREADLINE_PROVIDER_BACKOFF_MS: '5',
      THREADLINE_PROVIDER_IDLE_TIMEOUT_MS: '300',
    },
  });
  return { fake, t, [Symbol.asyncDispose]: async () => void (await Promise.all([t.close(), fake.close()])) };
}

/**
 * One run over chat.stream. Checks what every case must hold: one terminal event, last; the
 * session's history is the user message then the assistant message, whose text is what streamed
 * (a run that failed before producing anything stores no assistant message: see `failedEmpty`).
 */
async function run(t: TestServer, content = 'hi', onEvent?: (event: ReceivedEvent) => void) {
  const { events, error } = await collectEvents(
    (handlers) => t.client.chat.stream.subscribe({ newSession: true, content, requestId: randomUUID() }, handlers),
    onEvent,
  );
  expect(error).toBeUndefined();
  const terminals = events.filter((event) => isTerminalEvent(event.data));
  expect(terminals).toHaveLength(1);
  expect(events.at(-1)).toBe(terminals[0]);
  const start = events[0]!.data as Extract<StreamEvent, { type: 'run-start' }>;
  expect(start.type).toBe('run-start');
  const { messages } = await t.client.sessions.history.query({ sessionId: start.sessionId! });
  const produced = events.some((event) => ['text-delta', 'reasoning-delta', 'tool-call'].includes(event.data.type));
  const terminal = terminals[0]!.data;
  expect(messages.map((message) => message.role)).toEqual(produced || terminal.type === 'run-finish' ? ['user', 'assistant'] : ['user']);
  const assistant = messages[1] ?? { status: 'none', content: '', usage: null };
  expect(assistant.content).toBe(textOf(events));
  return { events, terminal, runId: start.runId, sessionId: start.sessionId!, assistant };
}

/** A run that failed before any token: only the user message is stored, the run records the error. */
async function expectFailedEmpty(t: TestServer, outcome: Awaited<ReturnType<typeof run>>, code: string): Promise<void> {
  expect(outcome.assistant.status).toBe('none');
  expect(await t.client.runs.get.query({ runId: outcome.runId })).toMatchObject({ status: 'failed', error: { code } });
}

describe('Anthropic through the real server: the fault matrix', () => {
  it('a bad key fails once as provider_auth, never retried, without the key in the message', async () => {
    await using context = await setup({ error: { status: 401, body: anthropicErrorBody('authentication_error', 'invalid x-api-key') } });
    const outcome = await run(context.t);
    const { terminal } = outcome;
    expect(terminal).toMatchObject({ type: 'run-error', code: 'provider_auth', retryable: false });
    expect((terminal as { message: string }).message).toContain('invalid x-api-key');
    expect((terminal as { message: string }).message).not.toContain(API_KEY);
    expect(context.fake.requests).toHaveLength(1);
    expect(context.fake.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    await expectFailedEmpty(context.t, outcome, 'provider_auth');
  });

  it('a 429 with retry-after-ms is retried after that wait, before any token, and the run completes', async () => {
    await using context = await setup(
      { error: { status: 429, body: anthropicErrorBody('rate_limit_error', 'Number of requests has exceeded your rate limit'), headers: { 'retry-after-ms': '40' } } },
      { text: TEXT },
    );
    const { events, terminal, assistant } = await run(context.t);
    expect(terminal).toMatchObject({ type: 'run-finish', finishReason: 'stop' });
    expect(textOf(events)).toBe('Hello there friend');
    expect(assistant.status).toBe('complete');
    const [first, second] = context.fake.requests;
    expect(context.fake.requests).toHaveLength(2);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(40);
  });

  it.each([
    [500, 'api_error', 'Internal server error'],
    [529, 'overloaded_error', 'Overloaded'],
  ])('a %i every time is retried twice, then fails as provider_unavailable', async (status, type, message) => {
    await using context = await setup({ error: { status, body: anthropicErrorBody(type, message) } });
    const outcome = await run(context.t);
    expect(outcome.terminal).toMatchObject({ type: 'run-error', code: 'provider_unavailable', retryable: true });
    expect((outcome.terminal as { message: string }).message).toContain(message);
    expect(context.fake.requests).toHaveLength(3);
    await expectFailedEmpty(context.t, outcome, 'provider_unavailable');
  });

  it.each([
    ['a connection reset', { resetAfter: 2 }, 'provider_unavailable'],
    ['a malformed JSON frame', { malformedAfter: 2 }, 'provider_protocol'],
    ['the stream error event', { streamErrorAfter: 2 }, 'provider_unavailable'],
    ['a stall (idle timeout)', { stallAfter: 2 }, 'timeout'],
  ] as const)('%s after some text fails the run, keeps the partial text as failed, is not retried', async (_name, fault, code) => {
    await using context = await setup({ text: TEXT, delayMs: 5, ...fault });
    const { terminal, assistant } = await run(context.t);
    expect(terminal).toMatchObject({ type: 'run-error', code, retryable: true });
    expect(assistant).toMatchObject({ status: 'failed', content: 'Hello there' });
    expect(context.fake.requests).toHaveLength(1);
    if ('stallAfter' in fault) await expect.poll(() => context.fake.requests[0]!.abortedAt).toBeDefined();
    if ('streamErrorAfter' in fault) expect((terminal as { message: string }).message).toContain('overloaded_error: Overloaded');
  });

  it('a stream without message_stop is a provider_protocol error, never a finish', async () => {
    await using context = await setup({ text: TEXT, omitTerminal: true });
    const { events, terminal, assistant, runId } = await run(context.t);
    expect(terminal).toMatchObject({ type: 'run-error', code: 'provider_protocol' });
    expect(events.some((event) => event.data.type === 'run-finish')).toBe(false);
    expect(assistant).toMatchObject({ status: 'failed', content: 'Hello there friend' });
    expect(await context.t.client.runs.get.query({ runId })).toMatchObject({ status: 'failed', error: { code: 'provider_protocol' } });
  });

  it('an error event before the first token is retried and the run completes', async () => {
    await using context = await setup({ text: TEXT, streamErrorAfter: 0 }, { text: ['second try'] });
    const { terminal, assistant } = await run(context.t);
    expect(terminal).toMatchObject({ type: 'run-finish' });
    expect(assistant).toMatchObject({ status: 'complete', content: 'second try' });
    expect(context.fake.requests).toHaveLength(2);
  });

  it('cancelling the run closes the provider request at once and keeps the partial text as cancelled', async () => {
    await using context = await setup({ text: Array.from({ length: 200 }, (_, index) => `w${index} `), delayMs: 15 });
    let cancelledAt = 0;
    const cancels: Promise<unknown>[] = [];
    let deltas = 0;
    let runId = '';
    const { terminal, assistant } = await run(context.t, 'go on', (event) => {
      if (event.data.type === 'run-start') runId = event.data.runId;
      if (event.data.type === 'text-delta' && ++deltas === 3) {
        cancelledAt = Date.now();
        cancels.push(context.t.client.runs.cancel.mutate({ runId }));
      }
    });
    await Promise.all(cancels);
    expect(terminal.type).toBe('run-cancel');
    expect(assistant.status).toBe('cancelled');
    expect(assistant.content.length).toBeGreaterThan(0);
    expect(assistant.content.split(' ').length).toBeLessThan(200);
    await expect.poll(() => context.fake.requests[0]!.abortedAt).toBeDefined();
    // Long before the stream (3 s) would have ended by itself.
    expect(context.fake.requests[0]!.abortedAt! - cancelledAt).toBeLessThan(REACTION_MS);
  });

  it('stores usage (with cached input) on the message and the run, and run-finish carries it', async () => {
    const usage = { inputTokens: 250, outputTokens: 9, cachedInputTokens: 200 };
    await using context = await setup({ text: TEXT, usage });
    const { events, terminal, assistant, runId } = await run(context.t);
    expect(terminal).toMatchObject({ type: 'run-finish', usage, finishReason: 'stop' });
    const end = events.find((event) => event.data.type === 'message-end')!.data as Extract<StreamEvent, { type: 'message-end' }>;
    expect(end.message.usage).toEqual(usage);
    expect(assistant.usage).toEqual(usage);
    expect((await context.t.client.runs.get.query({ runId })).usage).toEqual(usage);
  });

  it('a tool call streams tool-call and tool-result, and the next request carries both in Anthropic format', async () => {
    const input = { query: 'weather', days: 2, where: { city: 'Bern' } };
    await using context = await setup(
      { text: ['Let me check.'], toolCalls: [{ id: 'toolu_01A', name: 'lookup', input }], usage: { inputTokens: 10, outputTokens: 5 } },
      { text: ['No such tool, sorry.'], usage: { inputTokens: 30, outputTokens: 7 } },
      { text: ['Noted.'] },
    );
    const { events, terminal, sessionId, assistant } = await run(context.t, 'what is the weather?');
    const types = events.map((event) => event.data.type);
    expect(types.indexOf('tool-call')).toBeLessThan(types.indexOf('tool-result'));
    expect(events.find((event) => event.data.type === 'tool-call')!.data).toEqual({ type: 'tool-call', callId: 'toolu_01A', name: 'lookup', input });
    expect(events.find((event) => event.data.type === 'tool-result')!.data).toEqual({ type: 'tool-result', callId: 'toolu_01A', output: 'unknown tool lookup', isError: true });
    expect(terminal).toMatchObject({ type: 'run-finish', finishReason: 'stop', usage: { inputTokens: 40, outputTokens: 12 } });
    expect(assistant.content).toBe('Let me check.No such tool, sorry.');

    const instructions = context.t.server.services.agents.get('chat').instructions;
    const toolTurn = [
      { role: 'user', content: [{ type: 'text', text: 'what is the weather?' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'toolu_01A', name: 'lookup', input }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: 'unknown tool lookup', is_error: true }] },
    ];
    expect(context.fake.requests[0]!.body).not.toHaveProperty('tools');
    expect(context.fake.requests[1]!.body).toMatchObject({ model: 'claude-test-model', system: instructions, messages: toolTurn });

    // The stored run replays the same way in the session's next request.
    await context.t.client.chat.send.mutate({ sessionId, content: 'ok' });
    expect(context.fake.requests[2]!.body.messages).toEqual([
      ...toolTurn,
      { role: 'assistant', content: [{ type: 'text', text: 'No such tool, sorry.' }] },
      { role: 'user', content: [{ type: 'text', text: 'ok' }] },
    ]);
  });

  it('an agent with reasoning turns extended thinking on; its signed thinking goes back with the tool call and on later turns', async () => {
    await using context = await setup(
      { reasoning: ['I should', ' use the calculator.'], toolCalls: [{ id: 'toolu_calc', name: 'calculator', input: { expression: '6 * 7' } }] },
      { text: ['It is 42.'] },
      { text: ['You are welcome.'] },
    );
    const { agents } = context.t.server.services;
    agents.register({ ...agents.get('assistant'), name: 'thinker', reasoning: 'medium', suggestions: false });
    expect((await context.t.client.agents.get.query({ agent: 'thinker' })).reasoning).toBe('medium');
    const asked = await context.t.client.chat.send.mutate({ newSession: true, agent: 'thinker', content: 'what is 6 * 7?' });
    expect(asked).toMatchObject({ status: 'completed', message: { content: 'It is 42.' } });
    const signature = `sig_${Buffer.from('I should use the calculator.').toString('base64')}`;
    expect(asked.message.parts[0]).toEqual({ type: 'reasoning', text: 'I should use the calculator.', signature });

    const [first, second] = context.fake.requests.filter((request) => request.path === '/v1/messages').map((request) => request.body);
    // Thinking counts against max_tokens, so the answer keeps its own 4,096 beside the 4,096 budget.
    expect(first).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 4096 }, max_tokens: 8192 });
    expect(first).not.toHaveProperty('temperature');
    const toolTurn = [
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'I should use the calculator.', signature }, { type: 'tool_use', id: 'toolu_calc', name: 'calculator', input: { expression: '6 * 7' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_calc', content: JSON.stringify({ expression: '6 * 7', result: 42 }), is_error: false }] },
    ];
    expect(second.messages.slice(1)).toEqual(toolTurn);

    // The stored answer replays its signed thinking in the session's next request.
    await context.t.client.chat.send.mutate({ sessionId: asked.sessionId!, content: 'thanks' });
    const third = context.fake.requests.filter((request) => request.path === '/v1/messages')[2]!.body;
    expect(third.messages.slice(1, 3)).toEqual(toolTurn);
  });

  it('models.list includes the models the fake lists', async () => {
    await using context = await setup();
    const models = await context.t.client.models.list.query();
    expect(models).toContainEqual({ id: 'anthropic/claude-opus-4-5-20251101', provider: 'anthropic', name: 'claude-opus-4-5-20251101' });
    expect(models).toContainEqual({ id: 'anthropic/claude-haiku-4-5-20251001', provider: 'anthropic', name: 'claude-haiku-4-5-20251001' });
    expect(models.map((model) => model.id)).toContain('local/echo');
  });
});
