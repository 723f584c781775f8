import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentDefinition } from '../server/src/agents/types.js';
import { captureLogs, type LogLine } from './helpers/log-lines.js';
import { SERVER_BIN, startServerProcess } from './helpers/process.js';
import { plain } from './helpers/pty.js';
import { startTestServer } from './helpers/server.js';
import { collectEvents } from './helpers/stream.js';

const SECRET_WORDS = 'pineapple-submarine-7731';
const OPENAI_KEY = 'sk-obs-test-key-0123456789abcdef';
const METRICS_TOKEN = 'metrics-token-0123456789';

/** The lines of one run. */
const ofRun = (lines: LogLine[], runId: string) => lines.filter((line) => line.runId === runId);

describe('logs', () => {
  it('one line per HTTP request, with the request id taken from x-request-id or made, and sent back', async () => {
    const logs = captureLogs();
    await using t = await startTestServer({ environment: { LOG_LEVEL: 'info' }, logDestination: logs.destination });
    const given = await fetch(`${t.url}/trpc/system.health`, { headers: { 'x-request-id': 'given-id-42' } });
    expect(given.headers.get('x-request-id')).toBe('given-id-42');
    const made = await fetch(`${t.url}/trpc/sessions.list`, { headers: { authorization: `Bearer ${t.token}` } });
    const madeId = made.headers.get('x-request-id');
    expect(madeId).toMatch(/^[0-9a-f-]{36}$/);
    // An id nobody should echo (spaces, too long) is replaced.
    const bad = await fetch(`${t.url}/trpc/system.health`, { headers: { 'x-request-id': 'a b' } });
    expect(bad.headers.get('x-request-id')).not.toBe('a b');

    await expect.poll(() => logs.withMessage('request completed').length).toBeGreaterThanOrEqual(3);
    const requests = logs.withMessage('request completed');
    expect(requests.find((line) => line.requestId === 'given-id-42')).toMatchObject({ method: 'GET', path: '/trpc/system.health', procedure: 'system.health', status: 200, userId: null });
    const authed = requests.find((line) => line.requestId === madeId)!;
    expect(authed).toMatchObject({ procedure: 'sessions.list', status: 200 });
    expect(authed.userId).toEqual(expect.any(String));
    expect(authed.durationMs).toEqual(expect.any(Number));
    // Never a bearer token, never a header.
    expect(logs.raw.join('')).not.toContain(t.token);
    expect(logs.raw.join('')).not.toContain('authorization');
  });

  it('a run logs its transitions, a tool call by name, each provider call, and its end; never the message text', async () => {
    const logs = captureLogs();
    await using t = await startTestServer({ environment: { LOG_LEVEL: 'info' }, logDestination: logs.destination });
    const answer = await t.client.chat.send.mutate({ agent: 'assistant', newSession: true, content: `/tool calculator {"expression":"6*7"} ${SECRET_WORDS}` }, { context: {} });
    expect(answer.status).toBe('completed');

    const lines = ofRun(logs.lines(), answer.runId);
    const messages = lines.map((line) => line.msg);
    expect(messages[0]).toBe('run created');
    expect(messages).toEqual(expect.arrayContaining(['run started', 'run first token', 'tool call', 'provider call', 'run ended']));
    expect(lines.find((line) => line.msg === 'run created')).toMatchObject({ sessionId: answer.sessionId, agent: 'assistant', model: 'local/echo' });
    expect(lines.find((line) => line.msg === 'run first token')!.latencyMs).toEqual(expect.any(Number));
    expect(lines.find((line) => line.msg === 'tool call')).toMatchObject({ tool: 'calculator', isError: false });
    const providerCalls = lines.filter((line) => line.msg === 'provider call');
    expect(providerCalls).toHaveLength(2);
    expect(providerCalls[0]).toMatchObject({ provider: 'local', model: 'echo', attempt: 1, outcome: 'ok', finishReason: 'tool-calls' });
    const ended = lines.find((line) => line.msg === 'run ended')!;
    expect(ended).toMatchObject({ status: 'completed', errorCode: null, usage: answer.usage });
    expect(ended.durationMs).toEqual(expect.any(Number));
    // The run's lines come after the request that started it, which names it.
    const request = logs.withMessage('request completed').find((line) => line.procedure === 'chat.send')!;
    expect(lines[0]!.requestId).toBe(request.requestId);
    expect(logs.raw.join('')).not.toContain(SECRET_WORDS);
  });

  it('a failed run: its provider call and its end carry the error code', async () => {
    const logs = captureLogs();
    await using t = await startTestServer({ environment: { LOG_LEVEL: 'info' }, logDestination: logs.destination });
    const answer = await t.client.chat.send.mutate({ content: '/fail rate_limit' });
    expect(answer.status).toBe('failed');
    const lines = ofRun(logs.lines(), answer.runId);
    expect(lines.find((line) => line.msg === 'provider call')).toMatchObject({ provider: 'local', outcome: 'error', code: 'rate_limited', attempt: 1 });
    expect(lines.find((line) => line.msg === 'run ended')).toMatchObject({ status: 'failed', errorCode: 'rate_limited', level: 40 });
  });

  it('a queued run logs its position; approvals asked and decided are logged', async () => {
    const logs = captureLogs();
    await using t = await startTestServer({ environment: { LOG_LEVEL: 'info', THREADLINE_CONCURRENCY_LOCAL: '1' }, logDestination: logs.destination });
    const assistant = t.server.services.agents.get('assistant');
    t.server.services.agents.register({ ...assistant, name: 'guarded', approval: ['calculator'] } satisfies AgentDefinition);

    // A slow run holds the only slot; the next one waits for it.
    const slow = t.client.chat.send.mutate({ content: '/slow 30 /long 10' });
    await expect.poll(() => logs.withMessage('run started').length).toBe(1);
    const queued = await t.client.chat.send.mutate({ content: 'after the slow one' });
    await slow;
    expect(ofRun(logs.lines(), queued.runId).find((line) => line.msg === 'run queued')).toMatchObject({ position: 1 });

    let runId = '';
    const { events } = await collectEvents(
      (handlers) => t.client.chat.stream.subscribe({ agent: 'guarded', requestId: randomUUID(), newSession: true, content: '/tool calculator {"expression":"1+1"}' }, handlers),
      (event) => {
        if (event.data.type === 'run-start') runId = event.data.runId;
        if (event.data.type === 'tool-approval') void t.client.runs.deny.mutate({ runId, reason: `not now ${SECRET_WORDS}` });
      },
    );
    expect(events.at(-1)!.data.type).toBe('run-finish');
    const lines = ofRun(logs.lines(), runId);
    expect(lines.find((line) => line.msg === 'approval asked')).toMatchObject({ tools: ['calculator'] });
    expect(lines.find((line) => line.msg === 'approval decided')).toMatchObject({ tool: 'calculator', approved: false });
    expect(logs.raw.join('')).not.toContain(SECRET_WORDS);
  });

  it('LOG_CONTENT=1 lets message text, answers and reasons into the log', async () => {
    const logs = captureLogs();
    await using t = await startTestServer({ environment: { LOG_LEVEL: 'info', LOG_CONTENT: '1' }, logDestination: logs.destination });
    const answer = await t.client.chat.send.mutate({ content: SECRET_WORDS });
    const lines = ofRun(logs.lines(), answer.runId);
    expect(lines.find((line) => line.msg === 'run created')!.content).toBe(SECRET_WORDS);
    expect(lines.find((line) => line.msg === 'run ended')!.text).toBe(`Echo: ${SECRET_WORDS}`);
  });

  it('the start-up line summarizes the effective configuration without a secret; a refused CORS origin is a warning', async () => {
    const logs = captureLogs();
    await using t = await startTestServer({
      environment: {
        LOG_LEVEL: 'info',
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_BASE_URL: 'http://user:url-secret-password@127.0.0.1:9/v1',
        THREADLINE_MODEL: 'local/echo',
        THREADLINE_METRICS: '1',
        THREADLINE_METRICS_TOKEN: METRICS_TOKEN,
        THREADLINE_CORS_ORIGINS: 'https://app.example',
      },
      logDestination: logs.destination,
    });
    const summary = logs.withMessage('threadline listening')[0]!;
    expect(summary).toMatchObject({
      url: t.url,
      database: 'sqlite',
      defaultModel: 'local/echo',
      providers: { openai: { apiKey: 'set', baseUrl: 'http://127.0.0.1:9/v1' } },
      metrics: { path: '/metrics', token: 'required' },
      tracing: 'off',
      corsOrigins: ['https://app.example'],
    });
    expect(summary.agents).toEqual(expect.arrayContaining(['chat', 'assistant']));

    const allowed = await fetch(`${t.url}/trpc/system.health`, { headers: { origin: 'https://app.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    // A page may read the request id.
    expect(allowed.headers.get('access-control-expose-headers')).toContain('x-request-id');
    for (let index = 0; index < 2; index++) {
      const refused = await fetch(`${t.url}/trpc/system.health`, { headers: { origin: 'https://elsewhere.example' } });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
    const warnings = logs.lines().filter((line) => line.level === 40 && String(line.msg).includes('CORS'));
    // Once per origin, naming it and the setting that would allow it.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ origin: 'https://elsewhere.example', THREADLINE_CORS_ORIGINS: 'https://app.example' });
    expect(warnings[0]!.msg).toContain('THREADLINE_CORS_ORIGINS');

    const text = logs.raw.join('');
    for (const secret of [OPENAI_KEY, 'url-secret-password', METRICS_TOKEN]) expect(text).not.toContain(secret);
  });

  it('JSON lines when stdout is a pipe, readable lines (pino-pretty) when it is a terminal', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'threadline-logs-'));
    try {
      await using piped = await startServerProcess({ dataDir, environment: { LOG_LEVEL: 'info' } });
      // The human "listening" line can come out before pino has flushed its JSON one.
      await expect.poll(() => piped.stdout()).toContain('"msg":"threadline listening"');
      const json = piped.stdout().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
      expect(json.find((line) => line.msg === 'threadline listening')).toMatchObject({ url: piped.url, database: 'sqlite' });
      await piped.stop();

      // util-linux `script` gives the server a pseudo-terminal as stdout.
      const environment = { ...process.env, PORT: '0', HOST: '127.0.0.1', THREADLINE_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
      const child = spawn('script', ['-qfec', `exec '${process.execPath}' '${SERVER_BIN}' start`, '/dev/null'], { cwd: dataDir, env: environment });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      try {
        await expect.poll(() => plain(output)).toMatch(/INFO.*threadline listening/);
        expect(plain(output)).not.toMatch(/^\{"level"/m);
      } finally {
        child.kill('SIGKILL');
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
