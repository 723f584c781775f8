import { ProviderError } from '../providers/types.js';
import type { ServerMetrics } from './metrics.js';
import { modelNameOf, providerOf, type RunObserver } from './types.js';

/**
 * Runs, model calls and tool calls as Prometheus metrics: counted when a run starts and ends, when
 * a model call ends (its tokens, duration and requests) or retries, and when a tool call ends;
 * never per token. Label values a user or a model chooses (model and tool names) are bounded: past
 * `MAX_LABEL_VALUES` distinct ones, new ones count as `other`.
 */
export function runMetricsObserver(metrics: ServerMetrics): RunObserver {
  const models = new BoundedLabel();
  const tools = new BoundedLabel();
  return {
    run(info) {
      const createdAt = performance.now();
      let agent = info.agent;
      let model = models.of(info.model);
      return {
        queued() {},
        started(resumed) {
          if (!resumed) metrics.runsStarted.inc({ agent, model });
        },
        firstToken() {
          metrics.runTimeToFirstToken.observe({ agent, model }, (performance.now() - createdAt) / 1000);
        },
        agentChanged(nextAgent, nextModel) {
          agent = nextAgent;
          model = models.of(nextModel);
        },
        modelCall(callModel) {
          const provider = providerOf(callModel);
          const name = modelNameOf(models.of(callModel));
          const startedAt = performance.now();
          let requests = 1;
          const genAi = { gen_ai_operation_name: 'chat', gen_ai_provider_name: provider, gen_ai_request_model: name };
          return {
            firstChunk() {
              metrics.timeToFirstChunk.observe(genAi, (performance.now() - startedAt) / 1000);
            },
            retry(retry) {
              requests++;
              metrics.providerErrors.inc({ provider, model: name, code: retry.code });
              metrics.providerRetries.inc({ provider, model: name, code: retry.code });
            },
            end(result) {
              metrics.providerRequests.inc({ provider, model: name }, requests);
              const failed = result.error !== undefined;
              const errorType = failed ? (result.aborted ? 'aborted' : result.error instanceof ProviderError ? result.error.code : 'internal') : '';
              if (failed && !result.aborted) metrics.providerErrors.inc({ provider, model: name, code: errorType });
              metrics.operationDuration.observe({ ...genAi, error_type: errorType }, (performance.now() - startedAt) / 1000);
              const usage = result.usage;
              if (!usage) return;
              metrics.tokenUsage.observe({ ...genAi, gen_ai_token_type: 'input' }, usage.inputTokens);
              metrics.tokenUsage.observe({ ...genAi, gen_ai_token_type: 'output' }, usage.outputTokens);
              const labels = { provider, model: name };
              metrics.tokens.inc({ ...labels, type: 'input' }, usage.inputTokens);
              metrics.tokens.inc({ ...labels, type: 'output' }, usage.outputTokens);
              if (usage.cachedInputTokens) metrics.tokens.inc({ ...labels, type: 'cached' }, usage.cachedInputTokens);
              if (usage.reasoningTokens) metrics.tokens.inc({ ...labels, type: 'reasoning' }, usage.reasoningTokens);
            },
          };
        },
        toolCall(name) {
          return { end: ({ isError }) => metrics.toolCalls.inc({ tool: tools.of(name), outcome: isError ? 'error' : 'ok' }) };
        },
        approvalAsked() {},
        approvalDecided() {},
        parked() {},
        ended(end) {
          metrics.runsEnded.inc({ status: end.status, agent, model });
          metrics.runDuration.observe({ status: end.status, agent, model }, end.durationMs / 1000);
        },
      };
    },
  };
}

/** Most distinct values of one user- or model-chosen label (model ids, tool names). */
export const MAX_LABEL_VALUES = 200;

/** Keeps a label's values bounded: the first MAX_LABEL_VALUES distinct ones, then `other`. */
class BoundedLabel {
  private readonly seen = new Set<string>();
  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= MAX_LABEL_VALUES) return 'other';
    this.seen.add(value);
    return value;
  }
}
