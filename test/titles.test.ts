import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startOpenAIFake } from './fakes/openai.js';
import { startTestServer, type TestServer } from './helpers/server.js';

async function setup() {
  const fake = await startOpenAIFake();
  const t = await startTestServer({
    environment: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${fake.url}/v1`, THREADLINE_MODEL: 'openai/gpt-test' },
  });
  // An agent whose sessions are named by its model.
  t.server.services.agents.register({ name: 'namer', description: 'test', instructions: 'Be brief.', tools: [], maxSteps: 2, titles: 'model' });
  return { fake, t, [Symbol.asyncDispose]: async () => (await t.close(), await fake.close()) };
}

/** Polls sessions.get until it has a title (or 5 s pass). */
async function titleOf(t: TestServer, sessionId: string): Promise<string | null> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const session = await t.client.sessions.get.query({ sessionId });
    if (session.title !== null) return session.title;
    await sleep(50);
  }
  return null;
}

const chatRequests = (fake: { requests: { path: string; body: any }[] }) => fake.requests.filter((request) => request.path === '/v1/chat/completions');

describe('generated session titles', () => {
  it('names an untitled session after its first exchange without delaying the answer', async () => {
    await using setupResult = await setup();
    const { fake, t } = setupResult;
    // The answer is quick; the title request is slow (about a second).
    fake.script({ text: ['Sure, ', 'Lisbon in May is lovely.'] }, { text: ['"Trip ', 'to Lisbon ', 'in May."'], delayMs: 200 });
    const session = await t.client.sessions.create.mutate({ agent: 'namer' });

    const started = Date.now();
    const outcome = await t.client.chat.send.mutate({ sessionId: session.id, content: 'Help me plan a trip to Lisbon in May' });
    const answeredIn = Date.now() - started;
    expect(outcome.status).toBe('completed');
    expect(answeredIn).toBeLessThan(700);
    // The run has ended while its title is still being written.
    expect((await t.client.sessions.get.query({ sessionId: session.id })).title).toBeNull();

    expect(await titleOf(t, session.id)).toBe('Trip to Lisbon in May');
    const titleRequest = chatRequests(fake)[1]!.body as { messages: { role: string; content: string }[]; tools?: unknown };
    expect(titleRequest.messages[0]!.role).toBe('system');
    expect(titleRequest.messages[1]!.content).toContain('Help me plan a trip to Lisbon in May');
    expect(titleRequest.messages[1]!.content).toContain('Lisbon in May is lovely.');
    expect(titleRequest.tools).toBeUndefined();

    // Later exchanges keep it and ask for no other title.
    fake.script({ text: ['more'] });
    await t.client.chat.send.mutate({ sessionId: session.id, content: 'and in June?' });
    await t.server.services.engine.whenIdle();
    expect(chatRequests(fake)).toHaveLength(3);
    expect((await t.client.sessions.get.query({ sessionId: session.id })).title).toBe('Trip to Lisbon in May');
  });

  it('keeps a title the session has, or one the user sets while the title is being generated', async () => {
    await using setupResult = await setup();
    const { fake, t } = setupResult;
    fake.script({ text: ['answer'] });
    const titled = await t.client.chat.send.mutate({ newSession: { title: 'Mine' }, agent: 'namer', content: 'hello' });
    await t.server.services.engine.whenIdle();
    expect((await t.client.sessions.get.query({ sessionId: titled.sessionId! })).title).toBe('Mine');
    expect(chatRequests(fake)).toHaveLength(1);

    fake.script({ text: ['answer'] }, { text: ['Generated ', 'title'], delayMs: 100 });
    const racing = await t.client.chat.send.mutate({ newSession: true, agent: 'namer', content: 'hello again' });
    await t.client.sessions.update.mutate({ sessionId: racing.sessionId!, title: 'Chosen by the user' });
    await t.server.services.engine.whenIdle();
    expect(chatRequests(fake)).toHaveLength(3);
    expect((await t.client.sessions.get.query({ sessionId: racing.sessionId! })).title).toBe('Chosen by the user');
  });

  it('falls back to the first words of the question when the title request fails', async () => {
    await using setupResult = await setup();
    const { fake, t } = setupResult;
    fake.script({ text: ['answer'] }, { error: { status: 400, body: { error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } } } });
    const outcome = await t.client.chat.send.mutate({ newSession: true, agent: 'namer', content: 'What is the capital city of Portugal exactly?' });
    expect(outcome.status).toBe('completed');
    expect(await titleOf(t, outcome.sessionId!)).toBe('What is the capital city of');
  });

  it('names sessions of agents without `titles: model` by the first words, with no extra request', async () => {
    await using setupResult = await setup();
    const { fake, t } = setupResult;
    fake.script({ text: ['answer'] });
    const outcome = await t.client.chat.send.mutate({ newSession: true, content: 'Tell me about tiles and mosaics in Portugal' });
    await t.server.services.engine.whenIdle();
    expect((await t.client.sessions.get.query({ sessionId: outcome.sessionId! })).title).toBe('Tell me about tiles and mosaics');
    expect(chatRequests(fake)).toHaveLength(1);
  });

  it('derives the title from the first words with the built-in model, directives left out', async () => {
    await using t = await startTestServer();
    t.server.services.agents.register({ name: 'namer', description: 'test', instructions: 'Be brief.', tools: [], maxSteps: 2, titles: 'model' });
    const outcome = await t.client.chat.send.mutate({ newSession: true, agent: 'namer', content: '/long 3 Plan my weekend trip to Porto please' });
    expect(await titleOf(t, outcome.sessionId!)).toBe('Plan my weekend trip to Porto');
    // A stateless run has no session to name.
    const stateless = await t.client.chat.send.mutate({ content: 'no session here' });
    expect(stateless.sessionId).toBeNull();
  });
});
