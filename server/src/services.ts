import type { Kysely } from 'kysely';
import type { Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { DestinationStream, Logger } from 'pino';
import { readAgentsFile, type AgentsFile } from './agents/agents-file.js';
import { builtInAgents, builtInTools } from './agents/built-in.js';
import { agentsWithFile } from './agents/file-agents.js';
import { AgentRegistry } from './agents/registry.js';
import { instanceIdFor } from './cluster/index.js';
import type { Config } from './config.js';
import { contextWindowOf } from './providers/context-windows.js';
import { createWebSearch } from './web-search/web-search.js';
import { createLogger } from './logger.js';
import { createProviderRegistry } from './providers/index.js';
import { McpServers } from './mcp/mcp-servers.js';
import { createObservability, type ServerMetrics } from './observability/index.js';
import type { ProviderRegistry } from './providers/registry.js';
import { RunEngine } from './runs/index.js';
import { InMemoryEventLog, type RunEventLog } from './events/index.js';
import type { Database } from './store/database.js';
import type { StoreHealth } from './store/availability.js';
import type { DriverWrapper } from './store/driver-wrapper.js';
import { openStore, type DialectName } from './store/open.js';
import { RetentionTimer } from './retention/retention-timer.js';
import { startSearchIndexing } from './store/search.js';
import { countGuardrails } from './observability/guardrail-metrics.js';
import { Budgets, UserLimiter } from './limits/index.js';
import { loadPrices, type PriceTable } from './usage/prices.js';

/** Everything a request handler may use; built once per server. */
export interface Services {
  config: Config;
  db: Kysely<Database>;
  dialect: DialectName;
  /** Whether the database takes writes now (`/readyz`). */
  storeHealth: StoreHealth;
  providers: ProviderRegistry;
  agents: AgentRegistry;
  log: RunEventLog;
  engine: RunEngine;
  logger: Logger;
  /** The agents file's MCP servers (none without a file). */
  mcp: McpServers;
  /** The Prometheus registry and metrics of this server (served at /metrics with THREADLINE_METRICS=1); add yours to `metrics.registry`. */
  metrics: ServerMetrics;
  /** The tracer while traces are on (OTEL_EXPORTER_OTLP_ENDPOINT), else undefined. */
  tracer: Tracer | undefined;
  /** Per-user rate and concurrency limits (shared through Redis with REDIS_URL). */
  limiter: UserLimiter;
  /** Per-user token and cost budgets. */
  budgets: Budgets;
  /** Model prices (built-in, or THREADLINE_PRICES_FILE): the usage ledger's costs. */
  prices: PriceTable;
  startedAt: number;
  /** Applies THREADLINE_RETENTION_* (prune) once per interval; idle without a policy. */
  retention: RetentionTimer;
  /** Lets active runs finish for up to `graceMs` (default: none), interrupts the rest, closes the database. */
  close(graceMs?: number): Promise<void>;
}

/** What a caller in the same process (a test) adds to the services the configuration describes. */
export interface ServiceOptions {
  /** Wraps the store's database driver: a test counts the statements and transactions of runs with it. */
  wrapStoreDriver?: DriverWrapper;
  /** Where the log lines go instead of stdout (a test reads them). */
  logDestination?: DestinationStream;
  /** Turns traces on with this exporter (a test's in-memory one), whatever the configuration says. */
  spanExporter?: SpanExporter;
}

/**
 * Reads the agents file (a bad one throws before anything opens), opens the store (migrating it),
 * recovers runs a crash left behind, connects the MCP servers and wires the rest.
 */
export async function createServices(config: Config, givenLogger?: Logger, serviceOptions: ServiceOptions = {}): Promise<Services> {
  const logger = givenLogger ?? createLogger(config, serviceOptions.logDestination);
  const file: AgentsFile | undefined = config.agentsFile ? await readAgentsFile(config.agentsFile) : undefined;
  const { db, dialect, health } = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    timeoutMs: config.databaseTimeoutMs,
    onConnectionError: (error) => logger.warn({ err: error }, 'database: an idle connection was lost; the pool opens a new one'),
    ...(serviceOptions.wrapStoreDriver ? { wrapDriver: serviceOptions.wrapStoreDriver } : {}),
  });

  let prices: PriceTable;
  try {
    prices = await loadPrices(config.pricesFile, (model) => logger.warn({ model }, 'usage: no price for this model; its runs cost 0 in the ledger'));
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const providers = await createProviderRegistry(config);
  const mcp = await McpServers.connect(file?.mcpServers ?? {}, logger);
  let agents: AgentRegistry;
  try {
    const tools = builtInTools(db, config.webSearch ? createWebSearch(config.webSearch) : undefined);
    const definitions = file ? agentsWithFile(builtInAgents(tools), file, { builtInTools: tools, mcp, providers: providers.list().map((provider) => provider.name) }) : builtInAgents(tools);
    agents = new AgentRegistry(definitions, config.defaultModel);
  } catch (error) {
    await mcp.close();
    await db.destroy();
    throw error;
  }
  const instanceId = await instanceIdFor(config.instanceId, config.dataDir);
  const observability = await createObservability(config, logger, { instanceId, exporter: serviceOptions.spanExporter });
  if (config.redisUrl && !config.databaseUrl) logger.warn('REDIS_URL is set but the database is SQLite: instances share runs only on one PostgreSQL');
  // Redis's client is loaded only with REDIS_URL (a single instance does not keep it in memory).
  const cluster = config.redisUrl ? await (await import('./cluster/cluster.js')).Cluster.connect({ url: config.redisUrl, keyPrefix: config.redisPrefix, instanceId, ttlMs: config.instanceTtlMs, logger }) : undefined;
  // Several instances share run events through Redis Streams; one keeps them in memory.
  const log: RunEventLog = config.redisUrl
    ? new (await import('./events/redis-event-log.js')).RedisEventLog({ url: config.redisUrl, keyPrefix: config.redisPrefix, retentionMs: config.runRetentionMs, maxEndedBytes: config.limits.eventMemoryBytes, logger })
    : new InMemoryEventLog(config.runRetentionMs, config.limits.eventMemoryBytes);
  const options = { checkpointMs: config.checkpointMs, maxRunMs: config.maxRunMs, approvalTimeoutMs: config.approvalTimeoutMs, concurrency: config.concurrency, databaseTimeoutMs: config.databaseTimeoutMs, maxQueuedRunsPerUser: config.limits.maxQueuedRunsPerUser, userShare: config.limits.userShare, maxAnswerBytes: config.limits.maxAnswerBytes, contextWindow: (modelId: string) => contextWindowOf(modelId, config.contextWindows) };
  const limiter = new UserLimiter({ db, defaults: config.userLimits, ...(cluster ? { redis: cluster.connection } : {}), keyPrefix: config.redisPrefix, leaseTtlMs: config.instanceTtlMs, logger });
  const budgets = new Budgets({ db, prices, limitsOf: (userId) => limiter.limitsOf(userId), logger });
  const engine = new RunEngine({ instanceId, ...(cluster ? { cluster } : {}), db, providers, agents, log, logger, observer: observability.observer, options, prices, limiter, budgets });
  const { interrupted, resumed } = await engine.adoptOrphans(true);
  if (interrupted > 0) logger.warn({ interrupted }, 'runs left active by a stopped process are now interrupted');
  if (resumed > 0) logger.info({ waiting: resumed }, 'runs waiting for approvals are held again');
  engine.startSweeping(config.instanceTtlMs);
  const { intervalMs, batchSize, ...policy } = config.retention;
  const retention = new RetentionTimer({ db, dialect, policy, intervalMs, batchSize, instanceId, logger });
  retention.start();
  const searchIndexing = config.searchIndexMs > 0 ? startSearchIndexing(db, config.searchIndexMs, (error) => logger.warn({ err: error }, 'search: indexing new messages failed; the next search or tick tries again')) : undefined;
  countGuardrails(observability.metrics, { limiter, budgets, retention });
  return {
    config,
    db,
    dialect,
    storeHealth: health,
    providers,
    agents,
    log,
    engine,
    logger,
    mcp,
    metrics: observability.metrics,
    tracer: observability.tracer,
    limiter,
    budgets,
    prices,
    startedAt: Date.now(),
    retention,
    async close(graceMs = 0) {
      await retention.stop();
      await searchIndexing?.stop();
      await engine.drain(graceMs);
      limiter.close();
      await cluster?.close();
      await mcp.close();
      await log.close();
      await db.destroy();
      await observability.shutdown();
    },
  };
}
