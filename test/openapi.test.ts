import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_PLACEHOLDER } from '../server/src/docs/openapi-document.js';
import { appRouter } from '../server/src/routers/app.js';
import { createToken, findUserByName } from '../server/src/store/users.js';
import { runCurl, sseFrames, startCommand } from './helpers/curl.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// The OpenAPI document at /openapi.json: valid where OpenAPI 3.1 is strict, complete against the
// router's own procedure table, and true: every query and mutation, called with the curl line its
// operation shows, succeeds, and what it answers matches the documented schema.

type Json = Record<string, unknown>;
type Operation = Json & { operationId: string; description: string; responses: Record<string, Json>; security: Json[] };

/** `sessions.create` → `mutation`: what the server serves (tRPC's own table, not the document's reading of it). */
const procedures = new Map(
  Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: { access?: string } } }>).map(([path, procedure]) => [path, procedure._def]),
);

let server: TestServer;
let document: Json & { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> } };

beforeAll(async () => {
  server = await startTestServer();
  const response = await fetch(`${server.url}/openapi.json`);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  document = (await response.json()) as typeof document;
});
afterAll(() => server?.close());

/** Every operation of the document, with its path and method. */
function operations(): { path: string; method: string; operation: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));
}

/** The schema of an operation's successful answer. */
function answerSchema(procedure: string): Json {
  const success = operationOf(procedure).responses['200'] as { content: Record<string, { schema: Json }> };
  return success.content['application/json']!.schema;
}

function operationOf(procedure: string): Operation {
  const found = operations().find((each) => each.operation.operationId === procedure);
  expect(found, `an operation for ${procedure}`).toBeDefined();
  return found!.operation;
}

/** The curl line an operation shows its reader. */
function curlLine(procedure: string): string {
  const match = /```sh\n([\s\S]*?)\n```/.exec(operationOf(procedure).description);
  expect(match, `${procedure} shows a curl line`).not.toBeNull();
  return match![1]!;
}

/** Every value under `value`, with its JSON pointer. */
function* walk(value: unknown, pointer = '#'): Generator<[string, unknown]> {
  yield [pointer, value];
  if (value && typeof value === 'object') for (const [key, inner] of Object.entries(value)) yield* walk(inner, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
}

function resolvePointer(pointer: string): unknown {
  return pointer
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined), document);
}

/** A JSON Schema validator (draft 2020-12, OpenAPI 3.1's dialect) that resolves the document's component refs. */
function validatorFor(schema: Json) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  return ajv.compile({ ...schema, components: document.components });
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with the server version, each path holding operations with responses', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: 'Threadline', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    for (const { path, method, operation } of operations()) {
      expect(['get', 'post'], `${path}`).toContain(method);
      expect(path).toBe(`/trpc/${operation.operationId}`);
      expect(operation.responses['200'], `${path} documents its answer`).toBeDefined();
      expect(operation.responses.default, `${path} documents its errors`).toBeDefined();
      for (const parameter of (operation.parameters ?? []) as Json[]) {
        expect(['query', 'header', 'path', 'cookie']).toContain(parameter.in);
        // A parameter has a schema or a content (exactly one), per OpenAPI.
        expect(Number('schema' in parameter) + Number('content' in parameter)).toBe(1);
      }
    }
  });

  it('has unique operationIds, refs that all resolve, and security that names defined schemes', () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const refs = [...walk(document)].filter(([pointer, value]) => pointer.endsWith('/$ref') && typeof value === 'string').map(([, value]) => value as string);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref, 'a ref into this document').toMatch(/^#\/components\//);
      expect(resolvePointer(ref), ref).toBeDefined();
    }
    for (const { operation } of operations()) for (const requirement of operation.security) for (const name of Object.keys(requirement)) expect(document.components.securitySchemes[name]).toBeDefined();
  });

  it('has component schemas that a JSON Schema 2020-12 validator compiles', () => {
    for (const [name, schema] of Object.entries(document.components.schemas)) expect(() => validatorFor(schema), name).not.toThrow();
  });

  it('lists every procedure of the router, queries and subscriptions as GET, mutations as POST', () => {
    const documented = Object.fromEntries(operations().map(({ method, operation }) => [operation.operationId, method]));
    const expected = Object.fromEntries([...procedures].map(([path, definition]) => [path, definition.type === 'mutation' ? 'post' : 'get']));
    expect(documented).toEqual(expected);
  });

  it('gives every input an example that the procedure accepts as it is', () => {
    for (const [path, definition] of procedures) {
      const input = (definition as unknown as { inputs: { safeParse(value: unknown): { success: boolean } }[] }).inputs[0];
      if (!input) continue;
      const operation = operationOf(path);
      const content = ((operation.requestBody as Json | undefined)?.content ?? ((operation.parameters as Json[]).find((parameter) => parameter.name === 'input')!.content)) as Record<string, { example: { json: unknown } }>;
      const example = content['application/json']!.example;
      expect(input.safeParse(example.json).success, `${path}: ${JSON.stringify(example)}`).toBe(true);
    }
  });

  it('says which calls need a token as the procedures themselves do (each declares it)', () => {
    for (const [path, definition] of procedures) {
      expect(definition.meta?.access, `${path} declares its access`).toMatch(/^(public|user|operator)$/);
      expect(operationOf(path).security).toEqual(definition.meta!.access === 'public' ? [] : [{ bearerToken: [] }]);
    }
  });
});

describe('the docs routes', () => {
  it('serve the page and only the listed swagger-ui-dist files, without a token', async () => {
    const page = await fetch(`${server.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('docs/swagger-ui-bundle.js');
    const bundle = await fetch(`${server.url}/docs/swagger-ui-bundle.js`);
    expect([bundle.status, bundle.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    for (const path of ['/docs/package.json', '/docs/..%2Fpackage.json', '/docs/swagger-ui-bundle.js.map', '/docs/index.html']) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${server.url}/openapi.json`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${server.url}/openapi.json`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    expect((await fetch(`${server.url}/docs/`, { redirect: 'manual' })).headers.get('location')).toBe('../docs');
  });
});

/**
 * A valid input for every query and mutation, in an order that makes each succeed; `state` carries
 * ids from earlier answers. A procedure added to the router without a line here fails the test.
 */
const plan: [string, (state: Record<string, string>) => unknown][] = [
  ['system.health', () => undefined],
  ['system.info', () => undefined],
  ['system.status', () => undefined],
  ['system.operatorStatus', () => undefined],
  ['agents.list', () => undefined],
  ['agents.get', () => ({ agent: 'chat' })],
  ['models.list', () => undefined],
  ['sessions.create', () => ({ title: 'From curl', metadata: { source: 'docs' } })],
  ['sessions.list', () => ({ limit: 10 })],
  ['sessions.get', (state) => ({ sessionId: state.sessionId })],
  ['sessions.update', (state) => ({ sessionId: state.sessionId, title: 'Renamed' })],
  ['chat.send', (state) => ({ sessionId: state.sessionId, content: 'Hello from curl', requestId: 'curl-send' })],
  ['sessions.history', (state) => ({ sessionId: state.sessionId })],
  ['usage.summary', () => ({ groupBy: 'model' })],
  ['search.messages', () => ({ query: 'curl' })],
  ['messages.rate', (state) => ({ messageId: state.answerId, rating: 'up', comment: 'clear' })],
  ['sessions.export', (state) => ({ sessionId: state.sessionId, format: 'json' })],
  ['sessions.import', (state) => ({ data: JSON.parse(state.exported!) })],
  ['messages.regenerate', (state) => ({ messageId: state.answerId })],
  ['messages.edit', (state) => ({ messageId: state.questionId, content: 'Hello again from curl' })],
  ['sessions.switchBranch', (state) => ({ sessionId: state.sessionId, messageId: state.questionId })],
  ['runs.list', (state) => ({ sessionId: state.sessionId, status: ['completed'] })],
  ['runs.get', (state) => ({ runId: state.runId })],
  ['runs.approve', (state) => ({ runId: state.approveRunId })],
  ['runs.deny', (state) => ({ runId: state.denyRunId, reason: 'not now' })],
  ['runs.cancel', (state) => ({ runId: state.cancelRunId })],
  ['sessions.archive', (state) => ({ sessionId: state.sessionId })],
  ['sessions.unarchive', (state) => ({ sessionId: state.sessionId })],
  ['sessions.clear', (state) => ({ sessionId: state.sessionId })],
  ['sessions.delete', (state) => ({ sessionId: state.sessionId })],
];

describe('every query and mutation, called with its documented curl line', () => {
  it('covers every query and mutation of the router', () => {
    const callable = [...procedures].filter(([, definition]) => definition.type !== 'subscription').map(([path]) => path);
    expect(plan.map(([path]) => path).sort()).toEqual(callable.sort());
  });

  it('succeeds, and answers what the document says it answers', async () => {
    // Runs that wait for approval, to approve, deny and cancel (an agent whose calculator asks first).
    server.server.services.agents.register({ ...server.server.services.agents.get('assistant'), name: 'guarded', approval: ['calculator'] });
    const waiting = async () => {
      const answer = await server.client.chat.send.mutate({ agent: 'guarded', newSession: true, content: '/tool calculator {"expression": "1 + 1"}' });
      expect(answer.status).toBe('waiting');
      return answer.runId;
    };
    const state: Record<string, string> = { approveRunId: await waiting(), denyRunId: await waiting(), cancelRunId: await waiting() };
    const { token: operatorToken } = await createToken(server.server.services.db, (await findUserByName(server.server.services.db, 'local'))!.id, 'ops', { operator: true });
    for (const [procedure, inputOf] of plan) {
      const input = inputOf(state);
      const command = curlLine(procedure).replace(INPUT_PLACEHOLDER, JSON.stringify(input));
      const token = procedures.get(procedure)!.meta?.access === 'operator' ? operatorToken : server.token;
      const { status, body } = await runCurl(command, { THREADLINE_URL: server.url, THREADLINE_TOKEN: token });
      expect({ procedure, status, body: status === 200 ? 'ok' : body }).toEqual({ procedure, status: 200, body: 'ok' });
      const answer = JSON.parse(body) as { result: { data: { json: Json } } };
      const validate = validatorFor(answerSchema(procedure));
      expect(validate(answer) ? [] : validate.errors, `${procedure}'s answer matches its schema`).toEqual([]);
      const output = answer.result.data.json;
      if (procedure === 'sessions.create') state.sessionId = output.id as string;
      if (procedure === 'chat.send') {
        expect(output).toMatchObject({ status: 'completed', message: { content: 'Echo: Hello from curl' } });
        state.runId = output.runId as string;
        state.answerId = (output.message as { id: string }).id;
      }
      if (procedure === 'sessions.history') state.questionId = (output.messages as { id: string }[])[0]!.id;
      if (procedure === 'sessions.export') state.exported = output.content as string;
      if (procedure === 'search.messages') expect((output.items as unknown[]).length).toBeGreaterThan(0);
      if (procedure === 'runs.cancel') expect(output.status).toBe('cancelled');
    }
    // The schemas are not vacuous: a session whose dates are numbers, or that lacks its id, does not pass.
    const sessionAnswer = validatorFor(answerSchema('sessions.get'));
    expect(sessionAnswer({ result: { data: { json: {} } } })).toBe(false);
  });

  it('answers UNAUTHORIZED, in the documented error shape, when a call that needs a token has none', async () => {
    const errorSchema = validatorFor({ $ref: '#/components/schemas/ErrorEnvelope' });
    for (const [procedure] of plan) {
      if (procedures.get(procedure)!.meta?.access === 'public') continue;
      const input = procedure.startsWith('runs.') ? { runId: '00000000-0000-7000-8000-000000000000' } : { sessionId: '00000000-0000-7000-8000-000000000000', agent: 'chat', content: 'x' };
      const { status, body } = await runCurl(curlLine(procedure).replace(INPUT_PLACEHOLDER, JSON.stringify(input)), { THREADLINE_URL: server.url, THREADLINE_TOKEN: '' });
      expect({ procedure, status }).toEqual({ procedure, status: 401 });
      const answer = JSON.parse(body) as unknown;
      expect(errorSchema(answer) ? [] : errorSchema.errors).toEqual([]);
      expect(answer).toMatchObject({ error: { json: { data: { code: 'UNAUTHORIZED', httpStatus: 401 } } } });
    }
  });

  it('streams a subscription with its documented curl line: SSE frames whose data are the documented events', async () => {
    const command = curlLine('chat.stream').replace(INPUT_PLACEHOLDER, JSON.stringify({ newSession: true, content: 'Hello stream', requestId: 'curl-stream' }));
    const output = await startCommand(command, { THREADLINE_URL: server.url, THREADLINE_TOKEN: server.token }).ended;
    const frames = sseFrames(output);
    expect(frames[0]).toMatchObject({ event: 'connected' });
    const events = frames.filter((frame) => frame.id).map((frame) => (frame.data as { json: Json }).json);
    const validate = validatorFor({ $ref: '#/components/schemas/StreamEvent' });
    for (const event of events) expect(validate(event) ? [] : validate.errors, JSON.stringify(event)).toEqual([]);
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['run-start', 'text-delta', 'message-end', 'run-finish']));
    expect(frames.at(-1)).toMatchObject({ event: 'return' });
  });
});
