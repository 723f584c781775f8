import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../server/src/testing/databases.js';
import { startOpenAIFake } from './fakes/openai.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// The OpenAI-compatible API, driven by the official `openai` SDK as any OpenAI client would.

function openAIFor(t: TestServer, token = t.token, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({ baseURL: `${t.url}/v1`, apiKey: token, maxRetries: 0, defaultHeaders: headers });
}

/** OpenAI's error body. */
type OpenAIErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };

const runIdOf = (completionId: string) => completionId.replace(/^chatcmpl-/, '');

async function countMessages(t: TestServer): Promise<number> {
  const counted = await t.server.services.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(counted.n);
}

for (const dialect of DIALECTS) {
  describe(`the OpenAI-compatible API on ${dialect}`, () => {
    it('answers a completion with usage, statelessly: nothing stored but the run', async () => {
      await using t = await startTestServer({ dialect });
      const completion = await openAIFor(t).chat.completions.create({ model: 'local/echo', messages: [{ role: 'user', content: 'hello there' }] });
      expect(completion.object).toBe('chat.completion');
      expect(completion.model).toBe('local/echo');
      expect(completion.choices).toHaveLength(1);
      expect(completion.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Echo: hello there' });
      expect(completion.choices[0]!.finish_reason).toBe('stop');
      expect(completion.usage).toMatchObject({ completion_tokens: 3 });
      expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
      const run = await t.client.runs.get.query({ runId: runIdOf(completion.id) });
      expect(run).toMatchObject({ status: 'completed', sessionId: null, agent: 'chat', model: 'local/echo' });
      expect((await t.client.sessions.list.query()).items).toEqual([]);
      expect(await countMessages(t)).toBe(0);
    });

    it('streams chunks with and without the usage chunk, and offers agents as models', async () => {
      await using t = await startTestServer({ dialect });
      const openAI = openAIFor(t);
      const stream = await openAI.chat.completions.create({
        model: 'assistant',
        messages: [{ role: 'user', content: '/think first /long 12' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
      expect(text.split(' ')).toHaveLength(12);
      const reasoning = chunks.map((chunk) => (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '').join('');
      expect(reasoning).toBe('first');
      expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason)).toHaveLength(1);
      expect(chunks.find((chunk) => chunk.choices[0]?.finish_reason)!.choices[0]!.finish_reason).toBe('stop');
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage).toMatchObject({ completion_tokens: 12 });
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
      expect(await t.client.runs.get.query({ runId: runIdOf(last.id) })).toMatchObject({ status: 'completed', agent: 'assistant' });

      const plain = await openAI.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'once more' }], stream: true });
      const plainChunks = [];
      for await (const chunk of plain) plainChunks.push(chunk);
      expect(plainChunks.every((chunk) => chunk.choices.length === 1 && chunk.usage === undefined)).toBe(true);
      expect(plainChunks.map((chunk) => chunk.choices[0]!.delta.content ?? '').join('')).toBe('Echo: once more');
    });

    it('a cancelled stream cancels its run', async () => {
      await using t = await startTestServer({ dialect });
      const stream = await openAIFor(t).chat.completions.create({ model: 'local/echo', messages: [{ role: 'user', content: '/slow 40 /long 500' }], stream: true });
      let runId = '';
      let words = 0;
      for await (const chunk of stream) {
        runId = runIdOf(chunk.id);
        words += (chunk.choices[0]?.delta.content ?? '').split(' ').filter(Boolean).length;
        if (words >= 3) break;
      }
      // Leaving the loop aborts the SDK's request (its controller), which closes the connection.
      expect(stream.controller.signal.aborted).toBe(true);
      await expect.poll(async () => (await t.client.runs.get.query({ runId })).status).toBe('cancelled');
    });
  });
}

describe('the OpenAI-compatible API', () => {
  it('carries the conversation and the system prompt to the model without storing them', async () => {
    await using fake = await startOpenAIFake();
    fake.script({ text: ['Paris', ' it is'] });
    await using t = await startTestServer({ environment: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${fake.url}/v1` } });
    const completion = await openAIFor(t).chat.completions.create({
      model: 'openai/gpt-test',
      messages: [
        { role: 'system', content: 'Answer in two words.' },
        { role: 'user', content: 'Capital of France?' },
        { role: 'assistant', content: 'Paris.' },
        { role: 'user', content: [{ type: 'text', text: 'Are you sure?' }] },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe('Paris it is');
    const sent = fake.requests.find((request) => request.path.endsWith('/chat/completions'))!.body;
    expect(sent.model).toBe('gpt-test');
    expect(sent.messages[0].role).toBe('system');
    expect(sent.messages[0].content).toContain('Answer in two words.');
    expect(sent.messages.slice(1)).toMatchObject([
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: 'Are you sure?' },
    ]);
    expect(await countMessages(t)).toBe(0);

    // The client's tools reach the provider beside the agent's; the provider's call comes back as it made it.
    fake.script({ toolCalls: [{ id: 'call_lookup_1', name: 'lookup', input: { q: 'tides' } }] });
    const calling = await openAIFor(t).chat.completions.create({
      model: 'openai/gpt-test',
      messages: [{ role: 'user', content: 'When is high tide?' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
    });
    const toolRequest = fake.requests.filter((request) => request.path.endsWith('/chat/completions')).at(-1)!.body;
    expect(toolRequest.tools.map((tool: { function: { name: string } }) => tool.function.name)).toContain('lookup');
    expect(calling.choices[0]!.message.tool_calls).toEqual([{ id: 'call_lookup_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"tides"}' } }]);
  });

  it('returns calls of the client\'s own tools as tool_calls, and goes on from the client\'s results', async () => {
    await using t = await startTestServer();
    const openAI = openAIFor(t);
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const question = { role: 'user' as const, content: '/tool get_weather {"city": "Paris"}' };
    const first = await openAI.chat.completions.create({ model: 'assistant', messages: [question], tools });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    // The SDK's own stream helper assembles the streamed calls the same way.
    const streamed = await openAI.chat.completions.stream({ model: 'assistant', messages: [question], tools }).finalChatCompletion();
    expect(streamed.choices[0]!.finish_reason).toBe('tool_calls');
    expect(streamed.choices[0]!.message.tool_calls).toHaveLength(1);

    const answer = await openAI.chat.completions.create({
      model: 'assistant',
      tools,
      messages: [question, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '18 degrees and sunny' }],
    });
    expect(answer.choices[0]!.finish_reason).toBe('stop');
    expect(answer.choices[0]!.message.content).toContain('18 degrees and sunny');

    // A name the agent's own tools use is refused.
    const taken = await openAI.chat.completions
      .create({ model: 'assistant', messages: [question], tools: [{ type: 'function', function: { name: 'calculator' } }] })
      .catch((error: unknown) => error);
    expect(taken).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('continues a stored session with the session header, taking only the new user message', async () => {
    await using t = await startTestServer();
    const session = await t.client.sessions.create.mutate({ title: 'kept' });
    await t.client.chat.send.mutate({ sessionId: session.id, content: 'first' });
    const openAI = openAIFor(t, t.token, { 'x-threadline-session-id': session.id });
    const completion = await openAI.chat.completions.create({
      model: 'chat',
      messages: [
        { role: 'user', content: 'not taken' },
        { role: 'user', content: 'second' },
      ],
    });
    expect(completion.choices[0]!.message.content).toBe('Echo: second');
    const { messages } = await t.client.sessions.history.query({ sessionId: session.id });
    expect(messages.map((message) => message.content)).toEqual(['first', 'Echo: first', 'second', 'Echo: second']);

    // Another user's session looks exactly like a missing one.
    const other = await t.addUser('mallory');
    const foreign = openAIFor(t, other.token, { 'x-threadline-session-id': session.id });
    const missing = openAIFor(t, other.token, { 'x-threadline-session-id': '01900000-0000-7000-8000-000000000000' });
    const [foreignError, missingError] = await Promise.all(
      [foreign, missing].map((client) => client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error)),
    );
    expect(foreignError).toBeInstanceOf(OpenAI.NotFoundError);
    expect((foreignError as InstanceType<typeof OpenAI.NotFoundError>).error).toEqual((missingError as InstanceType<typeof OpenAI.NotFoundError>).error);
  });

  it('lists agents and models, and answers errors in OpenAI shape with their statuses', async () => {
    await using t = await startTestServer({ environment: { THREADLINE_CONCURRENCY: '1', THREADLINE_MAX_QUEUED_RUNS: '1' } });
    const openAI = openAIFor(t);
    const ids = [];
    for await (const model of openAI.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['chat', 'assistant', 'local/echo']));
    expect((await openAI.models.retrieve('local/echo')).owned_by).toBe('local');

    const unknown = await openAI.chat.completions.create({ model: 'nobody/nothing', messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
    expect((unknown as InstanceType<typeof OpenAI.APIError>).param).toBe('model');

    const badToken = await openAIFor(t, 'tl_not-a-token').chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(badToken).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((badToken as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');
    await expect(openAIFor(t, 'tl_not-a-token').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const notLast = await openAI.chat.completions.create({ model: 'chat', messages: [{ role: 'assistant', content: 'hi' }] }).catch((error: unknown) => error);
    expect(notLast).toBeInstanceOf(OpenAI.BadRequestError);
    expect((notLast as InstanceType<typeof OpenAI.APIError>).type).toBe('invalid_request_error');
    const empty = await openAI.chat.completions.create({ model: 'chat', messages: [] }).catch((error: unknown) => error);
    expect(empty).toBeInstanceOf(OpenAI.BadRequestError);
    // Plain HTTP: bad JSON, a __proto__ key, a body past the limit: 400s and a 413 in the same shape, never a 500.
    const post = (body: string) => fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, body });
    const notJson = await post('{"model": ');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as OpenAIErrorBody).error).toMatchObject({ type: 'invalid_request_error', message: 'the request body is not valid JSON' });
    const proto = await post('{"model": "chat", "messages": [{"role": "user", "content": "hi", "__proto__": {"polluted": true}}]}');
    expect(proto.status).toBe(400);
    expect(((await proto.json()) as OpenAIErrorBody).error.message).toContain('__proto__');
    expect((await post(JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }] }))).status).toBe(413);

    // One slot, one queued run allowed: a third request is refused with 429 and Retry-After.
    const running = openAI.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: '/slow 10 /long 100' }] });
    await expect.poll(() => t.server.services.engine.status().active).toBe(1);
    const queued = openAI.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'queued' }] });
    await expect.poll(() => t.server.services.engine.status().queued).toBe(1);
    const refused = await openAI.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'too many' }] }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Number((refused as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after'))).toBeGreaterThan(0);
    expect((await running).choices[0]!.message.content!.split(' ')).toHaveLength(100);
    expect((await queued).choices[0]!.message.content).toBe('Echo: queued');
  });
});
