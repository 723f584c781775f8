import { Counter } from 'prom-client';
import type { LimitRefusal } from '../limits/index.js';
import type { PruneSummary } from '../retention/prune.js';
import type { ServerMetrics } from './metrics.js';

/** What refuses or deletes on a user's or operator's behalf: the limits, the budgets, retention. */
export interface GuardrailSources {
  limiter: { onRefusal(listener: (refusal: LimitRefusal) => void): void };
  budgets: { onRefusal(listener: (refusal: LimitRefusal) => void): void };
  retention: { onPrune(listener: (summary: PruneSummary) => void): void };
}

/**
 * Counts the guardrails at work in the server's registry: every call, run or stream a per-user
 * limit refused and every run a budget stopped (`threadline_limit_refusals_total{limit}`), and the
 * rows retention deleted (`threadline_retention_deleted_total{kind}`).
 */
export function countGuardrails(metrics: ServerMetrics, sources: GuardrailSources): void {
  const registers = [metrics.registry];
  const refusals = new Counter({
    name: 'threadline_limit_refusals_total',
    help: 'Calls, runs and streams refused by a per-user limit, and runs stopped by a budget, by limit (requestsPerMinute, activeRuns, tokensPerDay, …).',
    labelNames: ['limit'],
    registers,
  });
  const deleted = new Counter({
    name: 'threadline_retention_deleted_total',
    help: 'Rows deleted by the retention policy, by kind (archivedSessions, sessions, messages, runs).',
    labelNames: ['kind'],
    registers,
  });
  const refused = (refusal: LimitRefusal) => refusals.inc({ limit: refusal.limit });
  sources.limiter.onRefusal(refused);
  sources.budgets.onRefusal(refused);
  sources.retention.onPrune((summary) => {
    if (summary.dryRun) return;
    for (const [kind, count] of Object.entries(summary.deleted)) if (count > 0) deleted.inc({ kind }, count);
  });
}
