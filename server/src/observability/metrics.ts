import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a few ms (a local model's first token) to the longest runs. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** The OpenTelemetry GenAI conventions' advice for `gen_ai.client.token.usage`. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];

/** What `/metrics` reads at scrape time (gauges of the engine's state, not counted on the hot path). */
export interface MetricsSources {
  /** Each provider's queue: runs executing and waiting. */
  queues(): { provider: string; running: number; queued: number }[];
  /** Runs waiting for the user's approval. */
  waitingForApproval(): number;
  /** Streams (SSE) open now. */
  openStreams(): number;
}

/**
 * The server's Prometheus metrics, one `Registry` per server instance (several in one process do
 * not share counters). Names follow the OpenTelemetry GenAI semantic conventions where one exists
 * (`gen_ai.client.token.usage` → `gen_ai_client_token_usage`; units as Prometheus suffixes,
 * `_seconds`), with their attributes as labels (`gen_ai_provider_name`, …); the rest are
 * `threadline_*`. Another part of the server adds its own metrics to `registry`
 * (`new Counter({ name, help, registers: [metrics.registry] })`).
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly runsStarted: Counter<'agent' | 'model'>;
  readonly runsEnded: Counter<'status' | 'agent' | 'model'>;
  readonly runDuration: Histogram<'status' | 'agent' | 'model'>;
  readonly runTimeToFirstToken: Histogram<'agent' | 'model'>;
  readonly tokens: Counter<'type' | 'provider' | 'model'>;
  readonly tokenUsage: Histogram<'gen_ai_operation_name' | 'gen_ai_provider_name' | 'gen_ai_request_model' | 'gen_ai_token_type'>;
  readonly operationDuration: Histogram<'gen_ai_operation_name' | 'gen_ai_provider_name' | 'gen_ai_request_model' | 'error_type'>;
  readonly timeToFirstChunk: Histogram<'gen_ai_operation_name' | 'gen_ai_provider_name' | 'gen_ai_request_model'>;
  readonly providerRequests: Counter<'provider' | 'model'>;
  readonly providerErrors: Counter<'provider' | 'model' | 'code'>;
  readonly providerRetries: Counter<'provider' | 'model' | 'code'>;
  readonly toolCalls: Counter<'tool' | 'outcome'>;

  /** `defaults`: Node's process metrics too (CPU, memory, event loop lag, GC), as prom-client collects them. */
  constructor(options: { defaults: boolean }) {
    const registers = [this.registry];
    if (options.defaults) collectDefaultMetrics({ register: this.registry });
    this.runsStarted = new Counter({ name: 'threadline_runs_started_total', help: 'Runs that began executing.', labelNames: ['agent', 'model'], registers });
    this.runsEnded = new Counter({ name: 'threadline_runs_ended_total', help: 'Runs that ended, by status (completed, failed, cancelled, interrupted).', labelNames: ['status', 'agent', 'model'], registers });
    this.runDuration = new Histogram({ name: 'threadline_run_duration_seconds', help: 'How long ended runs executed (as their terminal event says).', labelNames: ['status', 'agent', 'model'], buckets: DURATION_BUCKETS, registers });
    this.runTimeToFirstToken = new Histogram({ name: 'threadline_run_time_to_first_token_seconds', help: "From a run's acceptance (queueing included) to the first token of its answer.", labelNames: ['agent', 'model'], buckets: DURATION_BUCKETS, registers });
    this.tokens = new Counter({ name: 'threadline_tokens_total', help: 'Tokens by type: input, output, cached (input read from cache), reasoning (part of output).', labelNames: ['type', 'provider', 'model'], registers });
    this.tokenUsage = new Histogram({ name: 'gen_ai_client_token_usage', help: 'Tokens used per model call (OpenTelemetry gen_ai.client.token.usage).', labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_token_type'], buckets: TOKEN_BUCKETS, registers });
    this.operationDuration = new Histogram({ name: 'gen_ai_client_operation_duration_seconds', help: 'Duration of model calls, retries included (OpenTelemetry gen_ai.client.operation.duration).', labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'error_type'], buckets: DURATION_BUCKETS, registers });
    this.timeToFirstChunk = new Histogram({ name: 'gen_ai_client_operation_time_to_first_chunk_seconds', help: "From a model call's start to its first streamed chunk (OpenTelemetry gen_ai.client.operation.time_to_first_chunk).", labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'], buckets: DURATION_BUCKETS, registers });
    this.providerRequests = new Counter({ name: 'threadline_provider_requests_total', help: 'Requests sent to providers (each retry is one more).', labelNames: ['provider', 'model'], registers });
    this.providerErrors = new Counter({ name: 'threadline_provider_errors_total', help: 'Provider requests that failed, by run-error code (rate_limit, server, timeout, …), retried or not.', labelNames: ['provider', 'model', 'code'], registers });
    this.providerRetries = new Counter({ name: 'threadline_provider_retries_total', help: 'Failed provider requests tried again, by code.', labelNames: ['provider', 'model', 'code'], registers });
    this.toolCalls = new Counter({ name: 'threadline_tool_calls_total', help: 'Tool executions, by tool and outcome (ok, error).', labelNames: ['tool', 'outcome'], registers });
  }

  /** Adds the gauges read at scrape time from the engine and the HTTP server. */
  watch(sources: MetricsSources): void {
    const registers = [this.registry];
    new Gauge({
      name: 'threadline_queue_depth',
      help: 'Runs waiting for a provider slot, per provider.',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const queue of sources.queues()) this.set({ provider: queue.provider }, queue.queued);
      },
    });
    new Gauge({
      name: 'threadline_runs_running',
      help: 'Runs executing, per provider.',
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const queue of sources.queues()) this.set({ provider: queue.provider }, queue.running);
      },
    });
    new Gauge({ name: 'threadline_runs_waiting_for_approval', help: "Runs paused for the user's approval of tool calls.", registers, collect() { this.set(sources.waitingForApproval()); } });
    new Gauge({ name: 'threadline_open_streams', help: 'Event streams (SSE) open now.', registers, collect() { this.set(sources.openStreams()); } });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
