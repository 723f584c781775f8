import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits, type ThreadlineErrorData } from '@threadline/shared';
import { DIALECTS } from '../../server/src/testing/databases.js';
import { errorOf } from '../helpers/errors.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** What a tRPC error response carries (superjson-wrapped). */
interface ErrorBody {
  error: { json: { message: string; data: ThreadlineErrorData } };
}

/** Exception texts of V8, JSON.parse, superjson and PostgreSQL that must never reach a client. */
const INTERNAL_TEXT = /Maximum call stack|Converting circular|circular structure|Unexpected (end|token)|Unknown transformation|is not allowed as a property|invalid byte sequence|Invalid string length|stack/i;

/** POSTs a raw body to a procedure, as any HTTP client could. */
async function post(t: TestServer, procedure: string, body: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${t.url}/trpc/${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token}` },
    body,
  });
  return { status: response.status, body: await response.json() };
}

/** Expects a 400 BAD_REQUEST whose message matches `message` and holds no exception text. */
function expectBadRequest(response: { status: number; body: ErrorBody }, message: RegExp) {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  const { json } = response.body.error;
  expect(json.data.code).toBe('BAD_REQUEST');
  expect(json.message).toMatch(message);
  expect(json.message).not.toMatch(INTERNAL_TEXT);
  return json;
}

/** `{"a":{"a":…}}` or `[[…]]`, `depth` levels deep around `1`. */
function nested(depth: number, kind: 'object' | 'array'): string {
  return kind === 'object' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

describe('fault: input the transport (JSON, superjson) mangles or chokes on', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it.each([
    ['at the top of metadata', 'sessions.create', '{"json":{"metadata":{"__proto__":{"x":1},"a":1}}}', ['metadata', '__proto__']],
    ['deep in metadata', 'sessions.create', '{"json":{"metadata":{"a":[{"__proto__":1}]}}}', ['metadata', 'a', 0, '__proto__']],
    ['in a new session of chat.send', 'chat.send', '{"json":{"content":"hi","newSession":{"metadata":{"__proto__":1}}}}', ['newSession', 'metadata', '__proto__']],
  ])('a "__proto__" key %s is a BAD_REQUEST naming it (it used to vanish with a 200)', async (_, procedure, body, path) => {
    const json = expectBadRequest(await post(t, procedure, body), /__proto__/);
    expect(json.data.issues?.[0]?.path).toEqual(path);
    expect((await t.client.sessions.list.query()).items).toHaveLength(0);
  });

  it('metadata nested deeper than the input depth limit is a BAD_REQUEST saying so, at any depth up to 5000 and beyond', async () => {
    // The input object and metadata are the first two levels.
    for (const depth of [limits.inputDepth - 1, 5000, 50_000]) {
      for (const kind of ['object', 'array'] as const) {
        const body = `{"json":{"metadata":{"a":${nested(depth, kind)}}}}`;
        const json = expectBadRequest(await post(t, 'sessions.create', body), new RegExp(`nested deeper than ${limits.inputDepth} levels`));
        expect(json.data.issues?.[0]?.path.slice(0, 2)).toEqual(['metadata', 'a']);
      }
    }
    const inside = await post(t, 'sessions.create', `{"json":{"metadata":{"a":${nested(limits.inputDepth - 2, 'object')}}}}`);
    expect(inside.status, JSON.stringify(inside.body)).toBe(200);
  });

  it('superjson references that make the input circular are a BAD_REQUEST; shared (acyclic) ones still work', async () => {
    const circular = '{"json":{"metadata":{"a":{"b":1}}},"meta":{"referentialEqualities":{"metadata.a":["metadata.a.c"]}}}';
    const json = expectBadRequest(await post(t, 'sessions.create', circular), /refers to itself/);
    expect(json.data.issues?.[0]?.path).toEqual(['metadata', 'a', 'c']);

    const shared = { tags: ['x', 'y'] };
    const session = await t.client.sessions.create.mutate({ metadata: { first: shared, second: shared } });
    expect(session.metadata).toEqual({ first: shared, second: shared });
  });

  it('superjson references that multiply a small body into a huge input are refused at once', async () => {
    // Level i holds level i-1 twice: 30 levels expand to 2^30 values from a body of a few KiB.
    const levels = 30;
    const json = Object.fromEntries(Array.from({ length: levels }, (_, index) => [`l${index}`, index === 0 ? [1, 1] : [null, null]]));
    const equalities = Object.fromEntries(
      Array.from({ length: levels - 1 }, (_, index) => [`metadata.l${index}`, [`metadata.l${index + 1}.0`, `metadata.l${index + 1}.1`]]),
    );
    const startedAt = Date.now();
    const response = await post(t, 'sessions.create', JSON.stringify({ json: { metadata: json }, meta: { referentialEqualities: equalities } }));
    expectBadRequest(response, /too large|nested deeper/);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it.each([
    ['a body that is not JSON', '{"json":', /not valid JSON/],
    ['superjson annotations that make no sense', '{"json":{},"meta":{"values":{"title":["bogus"]}}}', /superjson/],
    ['superjson annotations on "__proto__"', '{"json":{"metadata":{"a":1}},"meta":{"values":{"metadata.__proto__":["undefined"]}}}', /superjson/],
  ])('%s: a BAD_REQUEST in words, never the parser\'s own message', async (_, body, message) => {
    expectBadRequest(await post(t, 'sessions.create', body), message);
  });
});

/** A high surrogate without its low half, and a low one alone: invalid Unicode that UTF-8 cannot encode. */
const HIGH = '\ud800';
const LOW = '\udc00';

for (const dialect of DIALECTS) {
  describe(`fault: lone surrogates in stored text, on ${dialect}`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ dialect });
    });
    afterAll(() => t.close());

    it.each<[string, (t: TestServer) => Promise<unknown>, (string | number)[]]>([
      ['message content', (t) => t.client.chat.send.mutate({ newSession: true, content: `a${HIGH}b` }), ['content']],
      ['message content (low half)', (t) => t.client.chat.send.mutate({ newSession: true, content: `${LOW}a` }), ['content']],
      ['a new session title', (t) => t.client.chat.send.mutate({ newSession: { title: `t${HIGH}` }, content: 'x' }), ['newSession']],
      ['a session title', (t) => t.client.sessions.create.mutate({ title: `t${LOW}` }), ['title']],
      ['a metadata value', (t) => t.client.sessions.create.mutate({ metadata: { key: `v${HIGH}` } }), ['metadata']],
      ['a metadata key', (t) => t.client.sessions.create.mutate({ metadata: { [`k${LOW}`]: 1 } }), ['metadata']],
      ['a nested metadata string', (t) => t.client.sessions.create.mutate({ metadata: { list: [{ deep: `${HIGH}` }] } }), ['metadata']],
      ['a model id', (t) => t.client.sessions.create.mutate({ model: `local/e${HIGH}` }), ['model']],
      ['an allowed tool', (t) => t.client.sessions.create.mutate({}).then((session) => t.client.sessions.update.mutate({ sessionId: session.id, allowedTools: [`calc${LOW}`] })), ['allowedTools', 0]],
      ['a deny reason', (t) => t.client.runs.deny.mutate({ runId: '01a22ed3-3b9e-73ff-8bbc-9ccd6e611666', reason: `no${HIGH}` }), ['reason']],
    ])('in %s: BAD_REQUEST naming the field, nothing stored', async (_, call, path) => {
      const before = (await t.client.sessions.list.query()).items.length;
      const error = await errorOf(call(t));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.issues?.[0]?.path.slice(0, path.length)).toEqual(path);
      expect(error.message).toMatch(/unpaired surrogate/);
      // The allowed-tool case creates its session first, on purpose.
      expect((await t.client.sessions.list.query()).items.length).toBeLessThanOrEqual(before + 1);
    });

    it('well-formed text outside the BMP (surrogate pairs) is stored and read back unchanged', async () => {
      const text = 'grin 😀 and 𝄞';
      const outcome = await t.client.chat.send.mutate({ newSession: { title: text, metadata: { [text]: text } }, content: text });
      const session = await t.client.sessions.get.query({ sessionId: outcome.sessionId! });
      expect(session).toMatchObject({ title: text, metadata: { [text]: text } });
      const { messages } = await t.client.sessions.history.query({ sessionId: session.id });
      expect(messages[0]!.content).toBe(text);
    });
  });

  describe(`fault: a NUL in search_history's query, on ${dialect}`, () => {
    it('is a tool error result that says so, never a database error', async () => {
      await using t = await startTestServer({ dialect });
      await t.client.chat.send.mutate({ newSession: true, content: 'lisbon in may' });
      // The directive's JSON decodes \u0000 into a real NUL; the message itself holds none.
      const outcome = await t.client.chat.send.mutate({ agent: 'assistant', newSession: true, content: '/tool search_history {"query": "lis\\u0000bon"}' });
      expect(outcome.status).toBe('completed');
      const result = outcome.message.parts.find((part) => part.type === 'tool-result');
      expect(result).toMatchObject({ isError: true, output: expect.stringMatching(/NUL[\s\S]*at query/) });
      expect(JSON.stringify(outcome)).not.toMatch(INTERNAL_TEXT);
    });
  });
}
