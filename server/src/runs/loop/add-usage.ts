import type { Usage } from '@threadline/shared';

/** Sums usage over steps; optional counters stay absent unless some step reported them. */
export function addUsage(total: Usage, more: Usage): Usage {
  const sum: Usage = { inputTokens: total.inputTokens + more.inputTokens, outputTokens: total.outputTokens + more.outputTokens };
  for (const key of ['reasoningTokens', 'cachedInputTokens', 'cacheWriteInputTokens'] as const) {
    if (total[key] !== undefined || more[key] !== undefined) sum[key] = (total[key] ?? 0) + (more[key] ?? 0);
  }
  return sum;
}
