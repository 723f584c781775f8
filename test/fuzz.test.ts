import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

type Kind = 'query' | 'mutation' | 'subscription';

/** Every procedure, how it is called, the keys its input knows and those it requires. */
const procedures: [path: string, kind: Kind, keys: string[], required: string[]][] = [
  ['sessions.create', 'mutation', ['title', 'agent', 'model', 'metadata'], []],
  ['sessions.list', 'query', ['cursor', 'limit', 'archived', 'query'], []],
  ['sessions.get', 'query', ['sessionId'], ['sessionId']],
  ['sessions.history', 'query', ['sessionId', 'cursor', 'limit'], ['sessionId']],
  ['sessions.update', 'mutation', ['sessionId', 'title', 'metadata', 'agent', 'model', 'allowedTools'], ['sessionId']],
  ['sessions.clear', 'mutation', ['sessionId'], ['sessionId']],
  ['sessions.archive', 'mutation', ['sessionId'], ['sessionId']],
  ['sessions.unarchive', 'mutation', ['sessionId'], ['sessionId']],
  ['sessions.delete', 'mutation', ['sessionId'], ['sessionId']],
  ['chat.send', 'mutation', ['sessionId', 'newSession', 'content', 'agent', 'model', 'requestId'], ['content']],
  [
    'chat.stream',
    'subscription',
    ['sessionId', 'newSession', 'content', 'agent', 'model', 'requestId', 'lastEventId'],
    ['content', 'requestId'],
  ],
  ['runs.list', 'query', ['sessionId', 'status', 'cursor', 'limit'], []],
  ['runs.get', 'query', ['runId'], ['runId']],
  ['runs.events', 'subscription', ['runId', 'lastEventId'], ['runId']],
  ['runs.cancel', 'mutation', ['runId'], ['runId']],
  ['runs.approve', 'mutation', ['runId', 'callIds', 'always'], ['runId']],
  ['runs.deny', 'mutation', ['runId', 'callIds', 'reason'], ['runId']],
  ['agents.list', 'query', [], []],
  ['agents.get', 'query', ['agent'], ['agent']],
  ['models.list', 'query', [], []],
  ['system.health', 'query', [], []],
  ['system.info', 'query', [], []],
  ['system.status', 'query', [], []],
  ['system.operatorStatus', 'query', [], []],
  ['messages.edit', 'mutation', ['messageId', 'content', 'agent', 'model', 'requestId'], ['messageId', 'content']],
  ['messages.regenerate', 'mutation', ['messageId', 'agent', 'model', 'requestId'], ['messageId']],
  ['messages.rate', 'mutation', ['messageId', 'rating', 'comment'], ['messageId', 'rating']],
  ['sessions.switchBranch', 'mutation', ['sessionId', 'messageId'], ['sessionId', 'messageId']],
  ['sessions.export', 'query', ['sessionId', 'format'], ['sessionId']],
  ['sessions.import', 'mutation', ['data'], ['data']],
  ['search.messages', 'query', ['query', 'sessionId', 'cursor', 'limit'], ['query']],
];

/** Ids that exist (seeded, then every id a response names), so inputs reach past validation into the store. */
const known = { sessionIds: new Set<string>(), runIds: new Set<string>(), messageIds: new Set<string>(), callIds: new Set<string>(['call-x']) };

function remember(body: string): void {
  for (const [, key, id] of body.matchAll(/"(sessionId|runId|callId|messageId|id)":"([^"]{1,80})"/g)) {
    const set = key === 'runId' ? known.runIds : key === 'callId' ? known.callIds : key === 'sessionId' ? known.sessionIds : known.messageIds;
    if (set.size < 200 && (key === 'callId' || /^[0-9a-f-]{36}$/.test(id!))) set.add(id!);
  }
}

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** Mostly `usual`, sometimes one of `unusual`. */
const mostly = <T>(usual: fc.Arbitrary<T>, ...unusual: fc.Arbitrary<T>[]) =>
  fc.oneof({ weight: 4, arbitrary: usual }, ...unusual.map((arbitrary) => ({ weight: 1, arbitrary })));
const idOf = (set: Set<string>) => mostly(fc.constant(null).chain(() => fc.constantFrom(...set)), fc.uuid());
const text = (maxLength: number) => fc.string({ unit: 'grapheme', maxLength });

/** Values that are nearly right: the edges of every limit, NUL, cursors of random JSON. */
const anything: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('local/echo', 'nope/x', 'chat', '', ' ', '\u0000', 'a\u0000b', 'x'.repeat(201), '1', '0'),
  fc.constantFrom(0, -1, 1, 1.5, 200, 201, 2 ** 53, Number.MAX_VALUE, true, false, null),
  fc.jsonValue({ maxDepth: 2 }).map(cursorOf),
  fc.tuple(fc.oneof(fc.integer(), fc.double()), fc.string()).map(cursorOf),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Mostly well-typed values per key, so many requests are valid or fail only deep inside. */
const typed: Record<string, fc.Arbitrary<unknown>> = {
  sessionId: idOf(known.sessionIds),
  runId: idOf(known.runIds),
  messageId: fc.oneof(fc.uuid(), fc.constant(null).chain(() => (known.messageIds.size > 0 ? fc.constantFrom(...known.messageIds) : fc.uuid()))),
  rating: fc.constantFrom('up', 'down', null, 'meh'),
  comment: text(20),
  format: fc.constantFrom('json', 'markdown', 'pdf'),
  data: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({
      format: fc.constant('threadline.session'),
      version: fc.constantFrom(1, 2),
      exportedAt: fc.constantFrom('2026-11-30T10:00:00.000Z', 'soon'),
      session: fc.record({ title: fc.constantFrom(null, 't', ''), agent: fc.constantFrom('chat', 'nobody'), model: fc.constantFrom(null, 'local/echo', 'nope/x'), metadata: fc.constant({}), archived: fc.boolean(), busyPolicy: fc.constant('enqueue'), allowedTools: fc.constant([]), createdAt: fc.constant('2026-11-30T10:00:00.000Z'), updatedAt: fc.constant('2026-11-30T10:00:00.000Z'), lastMessageAt: fc.constant(null) }),
      activeLeafId: fc.oneof(fc.constant(null), fc.uuid()),
      messages: fc.array(fc.record({ id: fc.uuid(), parentId: fc.oneof(fc.constant(null), fc.uuid()), role: fc.constantFrom('user', 'assistant', 'robot'), content: text(20), parts: fc.constant([]), agent: fc.constant(null), model: fc.constant(null), usage: fc.constant(null), status: fc.constantFrom('complete', 'waiting'), createdAt: fc.constant('2026-11-30T10:00:00.000Z'), rating: fc.constant(null), ratingComment: fc.constant(null), ratedAt: fc.constant(null) }), { maxLength: 3 }),
    }),
  ),
  title: mostly<unknown>(text(30), fc.constantFrom(null, 'x'.repeat(200), 'x'.repeat(201), '  padded  ')),
  agent: mostly(fc.constantFrom('chat', 'guarded'), fc.constantFrom('nobody', 'a b')),
  model: mostly<unknown>(fc.constant('local/echo'), fc.constantFrom('local/nope', 'nope/x', 'gpt', null)),
  metadata: fc.dictionary(text(8), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  cursor: fc.oneof(
    fc.jsonValue({ maxDepth: 1 }).map(cursorOf),
    fc.tuple(fc.integer(), fc.uuid()).map(cursorOf),
    fc.tuple(fc.uuid()).map(cursorOf),
    text(10),
  ),
  limit: fc.integer({ min: -1, max: 202 }),
  archived: fc.boolean(),
  query: text(10),
  // Absent (undefined is dropped by JSON) more often than not: with a sessionId it is a conflict.
  newSession: mostly<unknown>(fc.constant(undefined), fc.constant(true), fc.record({ title: text(10) })),
  content: fc.oneof(
    text(40).map((value) => `${value}.`),
    text(40),
    fc.constantFrom('hi', '/long 3', '/think hmm /long 2', '/fail reset /long 3', '/tool clock {}', '/tool calculator {"expression": "1 + 1"}'),
  ),
  requestId: fc.oneof(fc.constantFrom('r1', 'r2', 'r3'), fc.string({ minLength: 1, maxLength: 12 })),
  callIds: mostly<unknown>(fc.array(fc.constant(null).chain(() => fc.constantFrom(...known.callIds)), { minLength: 1, maxLength: 3 }), fc.constant([]), fc.array(text(5))),
  reason: text(20),
  always: fc.boolean(),
  allowedTools: mostly<unknown>(fc.subarray(['calculator', 'current_time', 'fixture__add']), fc.array(text(5))),
  status: mostly<unknown>(fc.subarray(['queued', 'running', 'waiting', 'completed', 'failed', 'cancelled', 'interrupted'], { minLength: 1 }), fc.constant([]), fc.constant(['done'])),
  lastEventId: mostly<unknown>(fc.constantFrom('0', '1', '3', '999999999999', null), fc.string({ maxLength: 4 })),
};

/** An input: any JSON, an object of the real keys (mostly well typed), or one with an extra key. */
function inputFor(keys: string[], required: string[]): fc.Arbitrary<unknown> {
  const value = (key: string) => fc.oneof({ weight: 12, arbitrary: typed[key]! }, { weight: 1, arbitrary: anything });
  const model = Object.fromEntries(keys.map((key) => [key, value(key)]));
  const withRealKeys = fc.record(model, { requiredKeys: required });
  const withExtraKey = fc
    .tuple(withRealKeys, fc.string({ maxLength: 6 }), anything)
    .map(([object, key, extra]) => ({ ...object, [key]: extra }));
  return fc.oneof(
    { weight: 1, arbitrary: fc.jsonValue() },
    { weight: 12, arbitrary: withRealKeys },
    { weight: 1, arbitrary: withExtraKey },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** A request in the superjson wire format; a few are sent unwrapped or not as JSON at all. */
const requestArbitrary = (keys: string[], required: string[]) =>
  fc.record({
    value: inputFor(keys, required),
    encoding: fc.oneof({ weight: 12, arbitrary: fc.constant('superjson') }, fc.constantFrom('bare', 'text')),
    text: fc.string({ maxLength: 30 }),
  });

type FuzzRequest = { value: unknown; encoding: string; text: string };

function payload(request: FuzzRequest): string {
  if (request.encoding === 'text') return request.text;
  if (request.encoding === 'bare') return JSON.stringify(request.value) ?? '';
  return JSON.stringify(request.value === undefined ? {} : { json: request.value });
}

/** Reads at most `limit` bytes or for `ms` milliseconds, then aborts. */
async function readSome(response: Response, controller: AbortController, limit = 4096, ms = 300): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const timer = setTimeout(() => controller.abort(), ms);
  let received = '';
  try {
    while (received.length < limit) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
  } catch {
    // aborted: what was read is enough
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return received;
}

describe('fuzzing every procedure over raw HTTP (sqlite)', () => {
  let t: TestServer;
  const statuses = new Map<number, number>();

  async function send(path: string, kind: Kind, request: FuzzRequest): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = { authorization: `Bearer ${t.token}` };
    const controller = new AbortController();
    const query = `?input=${encodeURIComponent(payload(request))}`;
    let response: Response;
    if (kind === 'mutation') {
      headers['content-type'] = 'application/json';
      const init = { method: 'POST', headers, body: payload(request), signal: controller.signal };
      response = await fetch(`${t.url}/trpc/${path}`, init);
    } else {
      if (kind === 'subscription') headers.accept = 'text/event-stream';
      response = await fetch(`${t.url}/trpc/${path}${query}`, { headers, signal: controller.signal });
    }
    const body = kind === 'subscription' ? await readSome(response, controller) : await response.text();
    remember(body);
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    return { status: response.status, body };
  }

  /** Runs that wait for approval, so approve and deny reach past validation into real pauses. */
  async function seedPauses(): Promise<void> {
    for (let index = 0; index < 3; index++) {
      remember(JSON.stringify(await t.client.chat.send.mutate({ newSession: true, agent: 'guarded', content: '/tool calculator {"expression": "2 * 21"}' })));
    }
  }

  beforeAll(async () => {
    // Thousands of calls of one user: its requests per minute unlimited (limits have their own tests).
    // Undecided approvals are denied after a few seconds: a send the fuzzer aims at a session whose
    // run waits for approval queues behind it (the session's busy policy), and must not wait a day.
    t = await startTestServer({ dialect: 'sqlite', environment: { THREADLINE_LIMIT_REQUESTS_PER_MINUTE: '0', THREADLINE_LIMIT_RUNS_PER_MINUTE: '0', THREADLINE_APPROVAL_TIMEOUT_MS: '4000' } });
    t.server.services.agents.register({ ...t.server.services.agents.get('assistant'), name: 'guarded', approval: ['calculator'] });
    await seedPauses();
    for (const content of ['one', 'two', '/long 5']) {
      const sent = await t.client.chat.send.mutate({ newSession: { title: content }, content });
      remember(JSON.stringify(sent));
    }
  });
  afterAll(() => t?.close());

  it.each(procedures)('%s (%s) never answers 5xx', async (path, kind, keys, required) => {
    // The pauses seeded at the start have been denied by now: fresh ones for the decisions.
    if (path === 'runs.approve' || path === 'runs.deny') await seedPauses();
    await fc.assert(
      fc.asyncProperty(requestArbitrary(keys, required), async (request) => {
        const { status, body } = await send(path, kind, request);
        expect(status).toBeLessThan(500);
        expect(body).not.toContain('INTERNAL_SERVER_ERROR');
      }),
      { numRuns: kind === 'subscription' ? 40 : 80 },
    );
  });

  it('reached past validation, not only errors', () => {
    expect(statuses.get(200)).toBeGreaterThan(50);
    expect(statuses.get(400)).toBeGreaterThan(50);
  });

  it('the server is still healthy afterwards', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect((await t.client.system.status.query()).activeRuns).toBeGreaterThanOrEqual(0);
    expect((await t.client.chat.send.mutate({ content: 'still here' })).message.content).toBe('Echo: still here');
  });
});
