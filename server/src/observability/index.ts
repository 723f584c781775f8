import type { Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ServerMetrics } from './metrics.js';
import { runLogObserver } from './run-log.js';
import { runMetricsObserver } from './run-metrics.js';
import { runTraceObserver } from './run-tracing.js';
import { startTracing } from './tracing.js';
import { combineObservers, type RunObserver } from './types.js';

export { ServerMetrics, type MetricsSources } from './metrics.js';
export { startupSummary } from './startup-summary.js';
export type { RequestOrigin, RunObservation, RunObserver } from './types.js';

/** Logs, metrics and traces of one server. */
export interface Observability {
  /** The Prometheus registry and the server's metrics (served at /metrics when enabled). */
  metrics: ServerMetrics;
  /** The tracer, while traces are on (OTEL_EXPORTER_OTLP_ENDPOINT, or a test's exporter). */
  tracer: Tracer | undefined;
  /** What the run engine tells of every run: to the log, and to metrics and traces when they are on. */
  observer: RunObserver;
  /** Sends buffered spans. */
  shutdown(): Promise<void>;
}

/** Builds the observers the configuration asks for; `exporter` turns traces on in a test. */
export async function createObservability(config: Config, logger: Logger, options: { exporter?: SpanExporter | undefined; instanceId: string }): Promise<Observability> {
  const metrics = new ServerMetrics({ defaults: config.metrics.enabled });
  const tracing = await startTracing(config, { instanceId: options.instanceId, ...(options.exporter ? { exporter: options.exporter } : {}) });
  const observers: RunObserver[] = [runLogObserver(logger, config.logContent)];
  if (config.metrics.enabled) observers.push(runMetricsObserver(metrics));
  if (tracing) observers.push(runTraceObserver(tracing.tracer));
  return {
    metrics,
    tracer: tracing?.tracer,
    observer: combineObservers(observers),
    shutdown: async () => {
      await tracing?.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'could not send the last spans'));
    },
  };
}
