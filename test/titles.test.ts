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

/** The session's title now (null while it has none). */
async function titleOf(t: TestServer, sessionId: string): Promise<string | null> {
  return (await t.client.sessions.get.query({ sessionId })).title;
}

/** A promise the test settles when it chooses (for `FakeTurn.gate`). */
function gate(): { held: Promise<void>; release(): void } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  return { held, release };
}

const chatRequests = (fake: { requests: { path: string; body: any }[] }) => fake.requests.filter((request) => request.path === '/v1/chat/completions');

describe('generated session titles', () => {
  it('names an untitled session after its first exchange without delaying the answer', async () => {
    await using setupResult = await setup();
    const { fake, t } = setupResult;
    // The title request is held until the answer is in: an answer that waited for it never comes.
    const titleRequest = gate();
    fake.script({ text: ['Sure, ', 'Lisbon in May is lovely.'] }, { text: ['"Trip ', 'to Lisbon ', 'in May."'], gate: titleRequest.held });
    const session = await t.client.sessions.create.mutate({ agent: 'namer' });

    const outcome = await t.client.chat.send.mutate({ sessionId: session.id, content: 'Help me plan a trip to Lisbon in May' });
    expect(outcome.status).toBe('completed');
    // The run has ended while its title is still being written.
    await expect.poll(() => chatRequests(fake).length).toBe(2);
    expect(await titleOf(t, session.id)).toBeNull();
    titleRequest.release();

    await expect.poll(() => titleOf(t, session.id)).toBe('Trip to Lisbon in May');
    const titleBody = chatRequests(fake)[1]!.body as { messages: { role: string; content: string }[]; tools?: unknown };
    expect(titleBody.messages[0]!.role).toBe('system');
    expect(titleBody.messages[1]!.content).toContain('Help me plan a trip to Lisbon in May');
    expect(titleBody.messages[1]!.content).toContain('Lisbon in May is lovely.');
    expect(titleBody.tools).toBeUndefined();

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

    const titleRequest = gate();
    fake.script({ text: ['answer'] }, { text: ['Generated ', 'title'], gate: titleRequest.held });
    const racing = await t.client.chat.send.mutate({ newSession: true, agent: 'namer', content: 'hello again' });
    await expect.poll(() => chatRequests(fake).length).toBe(3);
    // The user renames the session while the generated title is on its way.
    await t.client.sessions.update.mutate({ sessionId: racing.sessionId!, title: 'Chosen by the user' });
    titleRequest.release();
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
    await expect.poll(() => titleOf(t, outcome.sessionId!)).toBe('What is the capital city of');
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
    await expect.poll(() => titleOf(t, outcome.sessionId!)).toBe('Plan my weekend trip to Porto');
    // A stateless run has no session to name.
    const stateless = await t.client.chat.send.mutate({ content: 'no session here' });
    expect(stateless.sessionId).toBeNull();
  });
});
