import { describe, expect, it } from 'vitest';
import { ServerMetrics } from './metrics.js';
import { MAX_LABEL_VALUES, runMetricsObserver } from './run-metrics.js';

describe('run metrics', () => {
  it('bound the model and tool names a caller or a model chooses: past the limit they count as `other`', async () => {
    const metrics = new ServerMetrics({ defaults: false });
    const observer = runMetricsObserver(metrics);
    for (let index = 0; index < MAX_LABEL_VALUES + 50; index++) {
      const run = observer.run({ runId: `run-${index}`, userId: 'user', sessionId: null, agent: 'chat', model: `openai/model-${index}`, content: '', resumed: false });
      run.started(false);
      run.toolCall(`tool-${index}`, `call-${index}`, {}).end({ isError: false });
      run.ended({ status: 'completed', usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop', errorCode: null, durationMs: 5, text: '' });
    }
    const started = await metrics.runsStarted.get();
    expect(started.values).toHaveLength(MAX_LABEL_VALUES + 1);
    expect(started.values.find((value) => value.labels.model === 'other')?.value).toBe(50);
    const tools = await metrics.toolCalls.get();
    expect(tools.values).toHaveLength(MAX_LABEL_VALUES + 1);
    expect(tools.values.find((value) => value.labels.tool === 'other')?.value).toBe(50);
  });

  it('a model call counts its requests (retries included), its errors by code and its tokens by type', async () => {
    const metrics = new ServerMetrics({ defaults: false });
    const run = runMetricsObserver(metrics).run({ runId: 'run', userId: 'user', sessionId: 's', agent: 'chat', model: 'anthropic/claude', content: '', resumed: false });
    const call = run.modelCall('anthropic/claude');
    call.retry({ attempt: 1, code: 'rate_limited', retryAfterMs: 100, delayMs: 100 });
    call.firstChunk();
    call.end({ usage: { inputTokens: 10, outputTokens: 4, cachedInputTokens: 6, reasoningTokens: 2 }, finishReason: 'stop' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('threadline_provider_requests_total{provider="anthropic",model="claude"} 2');
    expect(text).toContain('threadline_provider_retries_total{provider="anthropic",model="claude",code="rate_limited"} 1');
    expect(text).toContain('threadline_tokens_total{provider="anthropic",model="claude",type="cached"} 6');
    expect(text).toContain('threadline_tokens_total{provider="anthropic",model="claude",type="reasoning"} 2');
    expect(text).toContain('gen_ai_client_token_usage_sum{gen_ai_operation_name="chat",gen_ai_provider_name="anthropic",gen_ai_request_model="claude",gen_ai_token_type="input"} 10');
  });
});
