import { describe, expect, it } from 'vitest';
import { openAIErrors, startOpenAIFake } from './fakes/openai.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const TOKEN = 'scrape-token-0123456789';

/** Scrapes /metrics as Prometheus would. */
async function scrape(t: TestServer, token = TOKEN): Promise<string> {
  const response = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

/** The value of one sample: `name{labels}` with the labels given (others may be there too); 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) total += Number(match[3]);
  }
  return total;
}

describe('metrics', () => {
  it('GET /metrics is off unless THREADLINE_METRICS=1, and wants the bearer token when one is set', async () => {
    await using off = await startTestServer();
    expect((await fetch(`${off.url}/metrics`)).status).toBe(404);

    await using t = await startTestServer({ environment: { THREADLINE_METRICS: '1', THREADLINE_METRICS_TOKEN: TOKEN } });
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const text = await scrape(t);
    // Node's default process metrics are there.
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts real runs: started and ended by status, durations, time to first token, tokens by type, provider requests, errors and retries; each server its own', async () => {
    await using fake = await startOpenAIFake();
    const environment = { THREADLINE_METRICS: '1', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${fake.url}/v1`, THREADLINE_MODEL: 'local/echo', THREADLINE_PROVIDER_BACKOFF_MS: '5' };
    await using t = await startTestServer({ environment });
    await using other = await startTestServer({ environment });
    const before = await scrape(t);
    expect(sample(before, 'threadline_runs_started_total')).toBe(0);

    const ok = await t.client.chat.send.mutate({ content: 'hello there' });
    expect(ok.status).toBe('completed');
    const failed = await t.client.chat.send.mutate({ content: '/fail server' });
    expect(failed.status).toBe('failed');
    // The OpenAI fake answers 429 once (with retry-after-ms), then streams.
    fake.script({ error: openAIErrors.rateLimited({ 'retry-after-ms': '5' }) }, { text: ['Hi', ' there'], usage: { inputTokens: 11, outputTokens: 7, cachedInputTokens: 3, reasoningTokens: 2 } });
    const retried = await t.client.chat.send.mutate({ content: 'hello', model: 'openai/gpt-test' });
    expect(retried.status).toBe('completed');

    const text = await scrape(t);
    const echo = { agent: 'chat', model: 'local/echo' };
    expect(sample(text, 'threadline_runs_started_total', echo)).toBe(2);
    expect(sample(text, 'threadline_runs_ended_total', { ...echo, status: 'completed' })).toBe(1);
    expect(sample(text, 'threadline_runs_ended_total', { ...echo, status: 'failed' })).toBe(1);
    expect(sample(text, 'threadline_runs_ended_total', { agent: 'chat', model: 'openai/gpt-test', status: 'completed' })).toBe(1);
    expect(sample(text, 'threadline_run_duration_seconds_count', { ...echo, status: 'completed' })).toBe(1);
    expect(sample(text, 'threadline_run_time_to_first_token_seconds_count', echo)).toBe(1);

    // Tokens: the echo model's usage, and the fake's with cached and reasoning tokens.
    expect(sample(text, 'threadline_tokens_total', { provider: 'local', type: 'output' })).toBe(ok.usage.outputTokens);
    expect(sample(text, 'threadline_tokens_total', { provider: 'openai', type: 'input' })).toBe(11);
    expect(sample(text, 'threadline_tokens_total', { provider: 'openai', type: 'cached' })).toBe(3);
    expect(sample(text, 'threadline_tokens_total', { provider: 'openai', type: 'reasoning' })).toBe(2);
    const openai = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-test' };
    expect(sample(text, 'gen_ai_client_token_usage_sum', { ...openai, gen_ai_token_type: 'output' })).toBe(7);
    expect(sample(text, 'gen_ai_client_token_usage_count', { gen_ai_provider_name: 'local', gen_ai_token_type: 'input' })).toBe(1);
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_provider_name: 'local', error_type: 'provider_unavailable' })).toBe(1);
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', { ...openai, error_type: '' })).toBe(1);
    expect(sample(text, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', openai)).toBe(1);

    // Provider requests (a retry is one more), errors by code, retries.
    expect(sample(text, 'threadline_provider_requests_total', { provider: 'openai', model: 'gpt-test' })).toBe(2);
    expect(sample(text, 'threadline_provider_requests_total', { provider: 'local' })).toBe(2);
    expect(sample(text, 'threadline_provider_retries_total', { provider: 'openai', code: 'rate_limited' })).toBe(1);
    expect(sample(text, 'threadline_provider_errors_total', { provider: 'openai', code: 'rate_limited' })).toBe(1);
    expect(sample(text, 'threadline_provider_errors_total', { provider: 'local', code: 'provider_unavailable' })).toBe(1);

    // Gauges read at scrape time: nothing runs, waits or streams now.
    expect(sample(text, 'threadline_runs_running', { provider: 'local' })).toBe(0);
    expect(sample(text, 'threadline_queue_depth', { provider: 'local' })).toBe(0);
    expect(text).toMatch(/^threadline_open_streams 0$/m);
    expect(text).toMatch(/^threadline_runs_waiting_for_approval 0$/m);

    // Another server in the same process counts its own runs only.
    expect(sample(await scrape(other), 'threadline_runs_started_total')).toBe(0);
  });

  it('queue depth, running runs, open streams and waiting approvals are read when scraped', async () => {
    await using t = await startTestServer({ environment: { THREADLINE_METRICS: '1', THREADLINE_CONCURRENCY_LOCAL: '1' } });
    // A slow streamed run holds the only slot; a second run waits for it.
    const stream = t.client.chat.stream.subscribe({ requestId: crypto.randomUUID(), content: '/slow 10 /long 100' }, { onData() {} });
    await expect.poll(() => t.server.services.engine.status().active).toBe(1);
    const queued = t.client.chat.send.mutate({ content: 'next' });
    await expect.poll(async () => {
      const text = await scrape(t);
      return [sample(text, 'threadline_runs_running', { provider: 'local' }), sample(text, 'threadline_queue_depth', { provider: 'local' }) >= 1, sample(text, 'threadline_open_streams') >= 1];
    }).toEqual([1, true, true]);
    stream.unsubscribe();
    await queued;

    // A run paused for the user's approval.
    const assistant = t.server.services.agents.get('assistant');
    t.server.services.agents.register({ ...assistant, name: 'guarded', approval: ['calculator'] });
    const waiting = await t.client.chat.send.mutate({ agent: 'guarded', content: '/tool calculator {"expression":"1+1"}' });
    expect(waiting.status).toBe('waiting');
    expect((await scrape(t)).match(/^threadline_runs_waiting_for_approval (\d+)$/m)?.[1]).toBe('1');
    await t.client.runs.deny.mutate({ runId: waiting.runId });
  });
});

describe('metrics of the guardrails', () => {
  it('counts refusals by limit and budget stops, and what retention deleted', async () => {
    await using t = await startTestServer({
      environment: { THREADLINE_METRICS: '1', THREADLINE_LIMIT_REQUESTS_PER_MINUTE: '3', THREADLINE_LIMIT_TOKENS_PER_DAY: '20', THREADLINE_RETENTION_DAYS: '1' },
    });
    const before = await fetch(`${t.url}/metrics`).then((response) => response.text());
    expect(sample(before, 'threadline_limit_refusals_total')).toBe(0);
    // A 30-word answer is stopped at the day's 20 tokens; the next run is refused before it starts.
    expect(await t.client.chat.send.mutate({ newSession: true, content: '/long 30' })).toMatchObject({ status: 'failed', error: { code: 'quota_exceeded' } });
    expect(await t.client.chat.send.mutate({ newSession: true, content: 'again' })).toMatchObject({ status: 'failed', error: { code: 'quota_exceeded' } });
    // Two calls so far: the third goes through, the fourth is refused by requests per minute.
    await t.client.sessions.list.query();
    await expect(t.client.sessions.list.query()).rejects.toMatchObject({ data: { code: 'TOO_MANY_REQUESTS' } });

    // A session idle for longer than the retention goes at the next prune.
    const old = Date.now() - 3 * 86_400_000;
    await t.server.services.db.updateTable('sessions').set({ updated_at: old }).execute();
    await t.server.services.retention.runOnce();

    const text = await fetch(`${t.url}/metrics`).then((response) => response.text());
    expect(sample(text, 'threadline_limit_refusals_total', { limit: 'tokensPerDay' })).toBe(2);
    expect(sample(text, 'threadline_limit_refusals_total', { limit: 'requestsPerMinute' })).toBe(1);
    expect(sample(text, 'threadline_retention_deleted_total', { kind: 'sessions' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'threadline_retention_deleted_total', { kind: 'messages' })).toBeGreaterThanOrEqual(2);
  });
});
