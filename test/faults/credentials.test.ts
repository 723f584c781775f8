import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createThreadlineClient } from '../../client/src/client.js';
import { createTestDatabase } from '../../server/src/testing/databases.js';
import { anthropicErrorBody, startAnthropicFake } from '../fakes/anthropic.js';
import type { FakeServer, FakeTurn } from '../fakes/fake-server.js';
import { startOllamaFake } from '../fakes/ollama.js';
import { startOpenAIFake } from '../fakes/openai.js';
import { writeAgentsFile } from '../fixtures/agents-files.js';
import { startHttpFixture } from '../fixtures/mcp-http-server.js';
import { freePort, startServerProcess } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { collectEvents } from '../helpers/stream.js';

const USER = 'proxy-user';
const SECRET = 'url-SECRET-7f3a';
const BASIC_TOKEN = Buffer.from(`${USER}:${SECRET}`).toString('base64');
/** `http://host` → `http://proxy-user:url-SECRET-7f3a@host`: a server behind an authenticating proxy. */
const withCredentials = (url: string) => url.replace('://', `://${USER}:${SECRET}@`);

/** Everything a client or log could show, checked for the password and the Basic token made of it. */
function expectNoSecret(value: unknown) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(BASIC_TOKEN);
}

/** One provider: its fake, how its URL is configured, and its error body. */
interface ProviderCase {
  name: string;
  start(): Promise<FakeServer>;
  /** What configures the provider at `url` (the fake's root). */
  environment(url: string): Record<string, string>;
  /** What system.info should show for the fake at `url`. */
  shownBaseUrl(url: string): string;
  model: string;
  chatPath: string;
  /** An HTTP 401 in the provider's format whose message is `message`. */
  unauthorized(message: string): NonNullable<FakeTurn['error']>;
}

const providers: ProviderCase[] = [
  {
    name: 'openai',
    start: () => startOpenAIFake(),
    environment: (url) => ({ OPENAI_BASE_URL: withCredentials(`${url}/v1`) }),
    shownBaseUrl: (url) => `${url}/v1`,
    model: 'openai/gpt-test',
    chatPath: '/v1/chat/completions',
    unauthorized: (message) => ({ status: 401, body: { error: { message, type: 'invalid_request_error', code: 'invalid_api_key', param: null } } }),
  },
  {
    name: 'anthropic',
    start: () => startAnthropicFake(),
    environment: (url) => ({ ANTHROPIC_API_KEY: 'sk-ant-test-key', ANTHROPIC_BASE_URL: withCredentials(url) }),
    shownBaseUrl: (url) => url,
    model: 'anthropic/claude-test',
    chatPath: '/v1/messages',
    unauthorized: (message) => ({ status: 401, body: anthropicErrorBody('authentication_error', message) }),
  },
  {
    name: 'ollama',
    start: () => startOllamaFake(),
    environment: (url) => ({ OLLAMA_HOST: withCredentials(url) }),
    shownBaseUrl: (url) => url,
    model: 'ollama/llama3.2',
    chatPath: '/api/chat',
    unauthorized: (message) => ({ status: 401, body: { error: message } }),
  },
];

/** A server whose default model is the provider's, configured with `url` (credentials added). */
async function serverFor(provider: ProviderCase, url: string): Promise<TestServer> {
  return startTestServer({
    environment: {
      ...provider.environment(url),
      THREADLINE_MODEL: provider.model,
      THREADLINE_PROVIDER_MAX_RETRIES: '0',
      THREADLINE_PROVIDER_IDLE_TIMEOUT_MS: '5000',
    },
  });
}

/** Streams `content` in a new session; returns the terminal event, the stored run and history. */
async function streamOnce(t: TestServer, content: string) {
  const { events, error } = await collectEvents((handlers) =>
    t.client.chat.stream.subscribe({ newSession: true, content, requestId: randomUUID() }, handlers),
  );
  expect(error).toBeUndefined();
  const start = events[0]!.data;
  if (start.type !== 'run-start') throw new Error(`first event is ${start.type}`);
  const run = await t.client.runs.get.query({ runId: start.runId });
  const history = await t.client.sessions.history.query({ sessionId: start.sessionId! });
  return { events, terminal: events.at(-1)!.data, run, history };
}

describe.each(providers)('fault: credentials in the $name base URL', (provider) => {
  it('system.info shows the URL without them; requests still carry them as Basic authorization', async () => {
    await using fake = await provider.start();
    fake.script({ text: ['all ', 'good'] });
    await using t = await serverFor(provider, fake.url);

    const info = await t.clientFor().system.info.query();
    expectNoSecret(info);
    expect(info.providers.find((entry) => entry.name === provider.name)?.baseUrl).toBe(provider.shownBaseUrl(fake.url));

    const answer = await t.client.chat.send.mutate({ newSession: true, content: 'hello' });
    expect(answer).toMatchObject({ status: 'completed', message: { content: 'all good' } });
    const chat = fake.requests.filter((request) => request.path === provider.chatPath);
    expect(chat).toHaveLength(1);
    expect(chat[0]!.headers.authorization).toBe(`Basic ${BASIC_TOKEN}`);
  });

  it('an HTTP error and an in-stream error that echo them: neither the streamed nor the stored error shows them', async () => {
    await using fake = await provider.start();
    const echo = `proxy said: ${USER}:${SECRET} is wrong for ${withCredentials(fake.url)} (Authorization: Basic ${BASIC_TOKEN})`;
    fake.script({ error: provider.unauthorized(echo) }, { text: ['some ', 'words ', 'more'], streamErrorAfter: 1, streamErrorMessage: echo });
    await using t = await serverFor(provider, fake.url);

    const refused = await streamOnce(t, 'first');
    expect(refused.terminal).toMatchObject({ type: 'run-error', code: 'provider_auth' });
    expect(refused.run.error?.message).toContain('proxy said');
    expectNoSecret(refused);

    const broken = await streamOnce(t, 'second');
    expect(broken.terminal).toMatchObject({ type: 'run-error', retryable: true });
    expect(broken.run).toMatchObject({ status: 'failed' });
    expect(broken.history.messages.at(-1)).toMatchObject({ role: 'assistant', status: 'failed', content: 'some ' });
    expectNoSecret(broken);
  });

  it('a refused connection to a URL with credentials: the error names the server, never them', async () => {
    const port = await freePort();
    await using t = await serverFor(provider, `http://127.0.0.1:${port}`);
    const { terminal, run } = await streamOnce(t, 'anyone there?');
    expect(terminal).toMatchObject({ type: 'run-error', code: 'provider_unavailable', retryable: true });
    expect(run.status).toBe('failed');
    expectNoSecret({ terminal, run });
    expectNoSecret(await t.clientFor().system.info.query());
  });
});

describe('fault: credentials in the URLs of a real server process', () => {
  it('start-up output, logs and MCP errors never show them; an MCP server gets them as Basic authorization', async () => {
    await using fake = await startOpenAIFake();
    await using mcp = await startHttpFixture();
    const closed = await freePort();
    await using agents = await writeAgentsFile(
      [
        'mcpServers:',
        '  guarded:',
        `    url: ${withCredentials(mcp.url)}`,
        '  gone:',
        `    url: ${withCredentials(`http://127.0.0.1:${closed}/mcp`)}`,
      ].join('\n'),
    );
    const echo = `bad credentials ${USER}:${SECRET} for ${withCredentials(fake.url)}`;
    fake.script({ error: providers[0]!.unauthorized(echo) });
    await using database = await createTestDatabase('sqlite');
    await using server = await startServerProcess({
      dataDir: database.dataDir,
      environment: {
        LOG_LEVEL: 'debug',
        OPENAI_BASE_URL: withCredentials(`${fake.url}/v1`),
        THREADLINE_MODEL: 'openai/gpt-test',
        THREADLINE_PROVIDER_MAX_RETRIES: '0',
        THREADLINE_AGENTS_FILE: agents.path,
      },
    });
    const client = createThreadlineClient({ url: server.url, token: server.token });
    const failed = await client.chat.send.mutate({ newSession: true, content: 'hello' });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'provider_auth' } });
    expect(mcp.requests.length).toBeGreaterThan(0);
    expect(mcp.requests.every((request) => request.authorization === `Basic ${BASIC_TOKEN}`)).toBe(true);
    await expect.poll(() => server.stdout()).toMatch(/"mcpServer":"gone"/);
    expect(await server.stop()).toBe(0);
    expect(server.stdout()).toContain('MCP server connected');
    expectNoSecret(server.stdout() + server.stderr());
  });

  it.each([
    ['REDIS_URL', (port: number) => `redis://default:${SECRET}@127.0.0.1:${port}`],
    ['DATABASE_URL', (port: number) => `postgres://postgres:${SECRET}@127.0.0.1:${port}/test`],
  ])('%s that cannot be reached: the start-up error names it without its credentials', async (name, url) => {
    await using database = await createTestDatabase('sqlite');
    const port = await freePort();
    const error = await startServerProcess({ dataDir: database.dataDir, environment: { [name]: url(port) }, timeoutMs: 15_000 }).then(
      () => new Error('the server started'),
      (reason: Error) => reason,
    );
    expect(error.message).toMatch(/exited \(code 1/);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expectNoSecret(error.message);
  });
});
