import type { Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config.js';
import { version } from '../version.js';

/** The server's tracer, while traces are on. */
export interface Tracing {
  tracer: Tracer;
  /** Sends the spans still buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * Traces, when asked for: with OTEL_EXPORTER_OTLP_ENDPOINT set, spans go there over OTLP/HTTP
 * (`/v1/traces` added, as the OpenTelemetry specification says for that variable), batched; with
 * `exporter` (a test's in-memory one), each span goes to it as it ends. Otherwise undefined: no SDK
 * is loaded and nothing is traced (the observers and the procedure middleware skip tracing
 * altogether, so it costs a branch per call). The provider is this server's own, not the global
 * one, so several servers in one process keep their spans apart; parents are passed explicitly
 * (no context manager is needed).
 */
export async function startTracing(config: Pick<Config, 'tracing'>, options: { exporter?: SpanExporter; instanceId: string }): Promise<Tracing | undefined> {
  const { endpoint, serviceName } = config.tracing;
  if (!endpoint && !options.exporter) return undefined;
  const [{ BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url: tracesUrl(endpoint!) }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.version': version, 'service.instance.id': options.instanceId }),
    spanProcessors: [processor],
  });
  return {
    tracer: provider.getTracer('threadline', version),
    shutdown: () => provider.shutdown(),
  };
}

/** OTEL_EXPORTER_OTLP_ENDPOINT is the base of every signal: traces go to `<base>/v1/traces`. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}
