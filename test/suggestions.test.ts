import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startOpenAIFake } from './fakes/openai.js';
import { startTestServer } from './helpers/server.js';
import { collectEvents } from './helpers/stream.js';

async function setup() {
  const fake = await startOpenAIFake();
  const t = await startTestServer({
    environment: {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: `${fake.url}/v1`,
      THREADLINE_MODEL: 'openai/gpt-test',
      THREADLINE_PROVIDER_MAX_RETRIES: '0',
    },
  });
  const agent = { description: 'test', instructions: 'Answer briefly.', tools: [], maxSteps: 2, suggestions: true };
  t.server.services.agents.register({ name: 'curious', ...agent });
  t.server.services.agents.register({ name: 'curious-local', ...agent, model: 'local/echo' });
  return { fake, t, [Symbol.asyncDispose]: async () => (await t.close(), await fake.close()) };
}

const chatRequests = (fake: { requests: { path: string; body: any }[] }) => fake.requests.filter((request) => request.path === '/v1/chat/completions');

describe('suggested follow-ups', () => {
  it('asks the model once after the answer and sends the questions in message-end, stored on the message', async () => {
    await using context = await setup();
    const { fake, t } = context;
    fake.script(
      { text: ['Lisbon is ', 'the capital of Portugal.'] },
      { text: ['Here are some ideas:\n1. What is the population of Lisbon?\n', '2. When is the best time to visit?\n- "What should I eat there?"\n'] },
    );
    const { events } = await collectEvents((handlers) =>
      t.client.chat.stream.subscribe({ newSession: { title: 'Portugal' }, agent: 'curious', content: 'What is the capital of Portugal?', requestId: randomUUID() }, handlers),
    );
    const types = events.map((event) => event.data.type);
    expect(types.slice(-2)).toEqual(['message-end', 'run-finish']);
    const end = events.find((event) => event.data.type === 'message-end')!.data as { message: { content: string; suggestions?: string[] } };
    const expected = ['What is the population of Lisbon?', 'When is the best time to visit?', 'What should I eat there?'];
    expect(end.message.content).toBe('Lisbon is the capital of Portugal.');
    expect(end.message.suggestions).toEqual(expected);

    const start = events[0]!.data as { sessionId: string };
    const { messages } = await t.client.sessions.history.query({ sessionId: start.sessionId });
    expect(messages[1]!.suggestions).toEqual(expected);
    expect(messages[0]!.suggestions).toBeUndefined();

    const [answerRequest, suggestionRequest] = chatRequests(fake);
    expect(answerRequest!.body.messages.at(-1)).toEqual({ role: 'user', content: 'What is the capital of Portugal?' });
    expect(suggestionRequest!.body.tools).toBeUndefined();
    expect(suggestionRequest!.body.messages[0].role).toBe('system');
    expect(suggestionRequest!.body.messages[1].content).toContain('Lisbon is the capital of Portugal.');
  });

  it('leaves them empty, without failing the run, when the model errs or cannot make them', async () => {
    await using context = await setup();
    const { fake, t } = context;
    fake.script({ text: ['An answer.'] }, { error: { status: 500, body: { error: { message: 'boom', type: 'server_error', param: null, code: null } } } });
    const failed = await t.client.chat.send.mutate({ newSession: { title: 'x' }, agent: 'curious', content: 'question' });
    expect(failed).toMatchObject({ status: 'completed', message: { content: 'An answer.', suggestions: [] } });
    expect(chatRequests(fake)).toHaveLength(2);

    // One line is not enough to count as suggestions.
    fake.script({ text: ['Another answer.'] }, { text: ['Only one idea?'] });
    const single = await t.client.chat.send.mutate({ sessionId: failed.sessionId!, agent: 'curious', content: 'more' });
    expect(single).toMatchObject({ status: 'completed', message: { suggestions: [] } });

    // The built-in model makes two from the question, without a request (so they can be seen offline).
    const local = await t.client.chat.send.mutate({ newSession: { title: 'y' }, agent: 'curious-local', content: '/long 3 hello there' });
    const expected = ['Can you tell me more about “hello there”?', 'What else should I know about “hello there”?'];
    expect(local).toMatchObject({ status: 'completed', message: { suggestions: expected } });
    const { messages } = await t.client.sessions.history.query({ sessionId: local.sessionId! });
    expect(messages[1]!.suggestions).toEqual(expected);
  });

  it('makes none for agents without suggestions', async () => {
    await using context = await setup();
    const { fake, t } = context;
    fake.script({ text: ['Plain.'] });
    const outcome = await t.client.chat.send.mutate({ newSession: { title: 'z' }, content: 'hi' });
    expect(outcome.message.content).toBe('Plain.');
    expect(outcome.message.suggestions).toBeUndefined();
    expect(chatRequests(fake)).toHaveLength(1);
  });
});
