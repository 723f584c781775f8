import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { type ContextWindowOverrides, parseContextWindows } from './providers/context-windows.js';
import type { ResiliencePolicy } from './providers/resilient-model.js';
import { DEFAULT_WEB_SEARCH_URLS, type WebSearchSettings } from './web-search/web-search.js';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
const emptyIsUnset = (value: unknown) => (value === '' ? undefined : value);
const optionalUrl = z.preprocess(emptyIsUnset, z.url().optional());
const optionalText = z.preprocess(emptyIsUnset, z.string().optional());
const optionalDays = z.preprocess(emptyIsUnset, z.coerce.number().min(0).max(100_000).optional());

/** Environment → typed configuration, in one place. Every field is documented in the README. */
const Environment = z.object({
  /** TCP port (0 picks a free one). */
  PORT: port.default(3000),
  /** Interface to listen on. */
  HOST: z.string().default('127.0.0.1'),
  /** Where SQLite's file and the first user's token live. */
  THREADLINE_DATA_DIR: z.string().default('./data'),
  /** postgres://… selects PostgreSQL; unset, SQLite in the data dir. */
  DATABASE_URL: optionalUrl,
  /** Default `provider/model` (default: local/echo when no provider key is set). */
  THREADLINE_MODEL: z.preprocess((value) => (value === '' ? undefined : value), z.string().regex(/^[a-z0-9_-]+\/.+$/i, 'a model is provider/model, e.g. local/echo or openai/gpt-5.4-mini').optional()),
  /** Delay between words of the built-in model, ms. */
  THREADLINE_LOCAL_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(15),
  /** Comma-separated origins allowed by CORS; `*` allows any. */
  THREADLINE_CORS_ORIGINS: z.string().default(''),
  /** How long a finished run's events stay replayable, ms. */
  THREADLINE_RUN_RETENTION_MS: positiveInt.default(60 * 1000),
  /** Largest HTTP request body, bytes. */
  THREADLINE_MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OpenAI, or any OpenAI-compatible server with OPENAI_BASE_URL. */
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalUrl,
  ANTHROPIC_API_KEY: optionalText,
  ANTHROPIC_BASE_URL: optionalUrl,
  /** Ollama's address, e.g. http://127.0.0.1:11434 or 127.0.0.1:11434 (setting it enables the provider). */
  OLLAMA_HOST: optionalText,
  /** Retries of a failed provider call before its first token. */
  THREADLINE_PROVIDER_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  /** First retry backoff, ms (doubles each retry) unless the provider says retry-after. */
  THREADLINE_PROVIDER_BACKOFF_MS: z.coerce.number().int().min(0).default(500),
  /** A provider stream silent for this long fails as `timeout`, ms. */
  THREADLINE_PROVIDER_IDLE_TIMEOUT_MS: positiveInt.default(60_000),
  /** Runs executing at once per provider; THREADLINE_CONCURRENCY_<PROVIDER> overrides one provider. */
  THREADLINE_CONCURRENCY: positiveInt.default(16),
  /** A run still active after this long fails with `timeout`, ms. */
  THREADLINE_MAX_RUN_MS: positiveInt.default(10 * 60 * 1000),
  /** A tool call waiting this long for the user's approval is denied (the run goes on), ms; 0 = never. */
  THREADLINE_APPROVAL_TIMEOUT_MS: z.coerce.number().int().min(0).default(24 * 60 * 60 * 1000),
  /** Most calls in one HTTP batch (a larger batch is refused with BAD_REQUEST). */
  THREADLINE_MAX_BATCH: positiveInt.default(50),
  /** Runs one user may have waiting to start (for their session's turn or a provider slot); more: TOO_MANY_REQUESTS. */
  THREADLINE_MAX_QUEUED_RUNS: positiveInt.default(64),
  /** The most of one provider's slots one user's runs may hold, as a fraction (rounded up; at least one). */
  THREADLINE_USER_SHARE: z.coerce.number().gt(0).max(1).default(0.75),
  /** An answer (text, reasoning, tool calls and results) is cut here, finishing with reason `length`, bytes. */
  THREADLINE_MAX_ANSWER_BYTES: positiveInt.default(1024 * 1024),
  /** Events of ended runs kept in memory for readers, in all, bytes (the oldest go first; also bounded by THREADLINE_RUN_RETENTION_MS). */
  THREADLINE_EVENT_MEMORY_BYTES: positiveInt.default(64 * 1024 * 1024),
  /** A stream whose reader takes nothing for this long while events wait is closed (it resumes from its last event id), ms. */
  THREADLINE_STREAM_STALL_MS: positiveInt.default(30_000),
  /** A database connection, statement or lock wait taking longer than this fails (SERVICE_UNAVAILABLE to clients), ms. */
  THREADLINE_DB_TIMEOUT_MS: positiveInt.default(10_000),
  /** How often a streaming answer is checkpointed to the store (what a crash can lose at most), ms. */
  THREADLINE_CHECKPOINT_MS: positiveInt.default(1000),
  /** SQLite: how often new messages are added to the full-text index (a search adds what is pending first; 0: only then), ms. */
  THREADLINE_SEARCH_INDEX_MS: nonNegativeInt.default(1000),
  /** Heap growth since its last low point after which an idle server (no open stream, no active run) runs a full garbage collection, MiB (0: never). */
  THREADLINE_IDLE_GC_MB: nonNegativeInt.default(64),
  /** On SIGTERM, how long active runs may finish before they are interrupted, ms. */
  THREADLINE_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Several instances on one PostgreSQL share run events and commands through this Redis. */
  REDIS_URL: optionalText,
  /** Prefix of every Redis key and channel, so deployments can share one Redis. */
  THREADLINE_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/).default('threadline'),
  /** This instance's id (default: kept in `<dataDir>/instance-id`). */
  THREADLINE_INSTANCE_ID: optionalText,
  /** With REDIS_URL: an instance silent this long is dead and its runs are taken over, ms. */
  THREADLINE_INSTANCE_TTL_MS: positiveInt.default(15_000),
  /** Agents and MCP servers, YAML or JSON (default: `<dataDir>/agents.yaml` when it exists). */
  THREADLINE_AGENTS_FILE: optionalText,
  /** `1`: logs may hold message text, answers, tool inputs and reasons (off: never). */
  LOG_CONTENT: z.enum(['0', '1', 'true', 'false', '']).default('0'),
  /** `1`: Prometheus metrics at GET /metrics. */
  THREADLINE_METRICS: z.enum(['0', '1', 'true', 'false', '']).default('0'),
  /** With THREADLINE_METRICS: /metrics requires `Authorization: Bearer <this>`. */
  THREADLINE_METRICS_TOKEN: optionalText,
  /** Set: traces are exported over OTLP/HTTP there (`/v1/traces` is added). */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  /** The traces' `service.name`. */
  OTEL_SERVICE_NAME: z.string().default('threadline'),
  /** Days data is kept after its last activity, for each kind below without a setting of its own; unset or 0: kept forever. */
  THREADLINE_RETENTION_DAYS: optionalDays,
  /** Days every session (archived or not) is kept after its last update; 0: kept forever. */
  THREADLINE_RETENTION_SESSION_DAYS: optionalDays,
  /** Days an archived session is kept after its last update; 0: kept forever. */
  THREADLINE_RETENTION_ARCHIVED_DAYS: optionalDays,
  /** Days a finished run's record is kept after its end (its answer stays in its session); 0: kept forever. */
  THREADLINE_RETENTION_RUN_DAYS: optionalDays,
  /** How often the server applies the retention policy, ms (one instance per interval when several share a database). */
  THREADLINE_RETENTION_INTERVAL_MS: positiveInt.default(60 * 60 * 1000),
  /** Most rows the prune deletes in one transaction. */
  THREADLINE_RETENTION_BATCH: positiveInt.max(100_000).default(500),
  /** Per-user defaults (0 = unlimited); `threadline-server user limits NAME` overrides them for one user. */
  THREADLINE_LIMIT_REQUESTS_PER_MINUTE: nonNegativeInt.default(1200),
  THREADLINE_LIMIT_RUNS_PER_MINUTE: nonNegativeInt.default(120),
  THREADLINE_LIMIT_ACTIVE_RUNS: nonNegativeInt.default(16),
  THREADLINE_LIMIT_OPEN_STREAMS: nonNegativeInt.default(64),
  THREADLINE_LIMIT_TOKENS_PER_DAY: nonNegativeInt.default(0),
  THREADLINE_LIMIT_TOKENS_PER_MONTH: nonNegativeInt.default(0),
  /** Cost budget per user per calendar month (UTC), in the price table's currency (USD); 0 = unlimited. */
  THREADLINE_LIMIT_COST_PER_MONTH: z.coerce.number().min(0).default(0),
  /** How long a user's limit overrides are cached by each instance (a change takes effect within this), ms. */
  THREADLINE_LIMITS_CACHE_MS: z.coerce.number().int().min(0).default(5_000),
  /** Model prices overriding the built-in table, JSON or YAML (see docs/API.md, "Usage and cost"). */
  THREADLINE_PRICES_FILE: optionalText,
  /** A run started through `/api/chat` whose last reader left is cancelled unless one comes back (a reload resumes) within this long, ms. */
  THREADLINE_CHAT_RESUME_GRACE_MS: positiveInt.default(5_000),
  /** The web search API of the `web_search` tool: searxng (default when a URL is set), brave or tavily. */
  THREADLINE_WEB_SEARCH_PROVIDER: z.preprocess(emptyIsUnset, z.enum(['searxng', 'brave', 'tavily']).optional()),
  /** Its root URL: a SearXNG instance (required for searxng), or another Brave / Tavily endpoint. */
  THREADLINE_WEB_SEARCH_URL: optionalUrl,
  /** Brave's subscription token or Tavily's API key. */
  THREADLINE_WEB_SEARCH_API_KEY: optionalText,
  /** Context windows, tokens, where the known ones are wrong or unknown: `provider/model=tokens` or `provider/*=tokens`, comma-separated. */
  THREADLINE_CONTEXT_WINDOWS: z
    .string()
    .default('')
    .superRefine((text, context) => {
      try {
        parseContextWindows(text);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
});

const enabled = (flag: string) => flag === '1' || flag === 'true';

/** Bounds that keep one user, or one answer, from exhausting the server. */
export interface ServerLimits {
  maxBatchSize: number;
  maxQueuedRunsPerUser: number;
  userShare: number;
  maxAnswerBytes: number;
  eventMemoryBytes: number;
  streamStallMs: number;
}

/** The server's configuration. */
export interface Config {
  limits: ServerLimits;
  port: number;
  host: string;
  /** Absolute path. */
  dataDir: string;
  databaseUrl: string | undefined;
  defaultModel: string;
  localDelayMs: number;
  corsOrigins: string[];
  runRetentionMs: number;
  maxBodyBytes: number;
  logLevel: z.infer<typeof Environment>['LOG_LEVEL'];
  /** Providers with their settings; a provider is configured when its key (or host) is set. */
  providers: ProviderSettings;
  /** Retries and idle timeout shared by every provider. */
  resilience: ResiliencePolicy;
  /** Runs executing at once, per provider name. */
  concurrency: (provider: string) => number;
  maxRunMs: number;
  /** A pending approval is denied after this long, ms; 0 = never. */
  approvalTimeoutMs: number;
  /** Redis for several instances on one database; undefined: one instance. */
  redisUrl: string | undefined;
  redisPrefix: string;
  instanceId: string | undefined;
  instanceTtlMs: number;
  checkpointMs: number;
  /** SQLite: period of the full-text index's batches, ms (0: only before a search). */
  searchIndexMs: number;
  /** Bound of a database connection, statement or lock wait, ms. */
  databaseTimeoutMs: number;
  shutdownGraceMs: number;
  /** Heap growth after which an idle server collects, bytes (0: never). */
  idleGcBytes: number;
  /** Absolute path of the agents file (agents and MCP servers), or undefined for built-in agents only. */
  agentsFile: string | undefined;
  /** Logs may hold message text (LOG_CONTENT=1). */
  logContent: boolean;
  /** Prometheus metrics at /metrics (THREADLINE_METRICS=1), behind a bearer token when `token` is set. */
  metrics: { enabled: boolean; token: string | undefined };
  /** OpenTelemetry traces: exported to `endpoint` over OTLP/HTTP when set; off (no SDK loaded) otherwise. */
  tracing: { endpoint: string | undefined; serviceName: string };
  /** What the retention timer prunes, and how. */
  retention: RetentionSettings;
  /** Per-user rate, concurrency and budget defaults (0 = unlimited), and how long overrides are cached. */
  userLimits: UserLimitDefaults;
  /** Absolute path of the prices file, or undefined for the built-in table. */
  pricesFile: string | undefined;
  /** `/api/chat`: how long a run without readers waits for one to come back before it is cancelled, ms. */
  chatResumeGraceMs: number;
  /** Context windows set by THREADLINE_CONTEXT_WINDOWS (the rest are known per model family). */
  contextWindows: ContextWindowOverrides;
  /** The web search behind `web_search`; undefined: not configured (research searches history). */
  webSearch: WebSearchSettings | undefined;
}

/** The retention policy (THREADLINE_RETENTION_*): how long each kind is kept, ms; undefined keeps it forever. */
export interface RetentionSettings {
  archivedSessionsMs: number | undefined;
  sessionsMs: number | undefined;
  runsMs: number | undefined;
  intervalMs: number;
  batchSize: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A kind's days (its own setting, else THREADLINE_RETENTION_DAYS) in ms; 0 or unset: undefined (kept forever). */
function retentionMs(own: number | undefined, fallback: number | undefined): number | undefined {
  const days = own ?? fallback;
  return days ? days * DAY_MS : undefined;
}

/** The limits every user has unless an override says otherwise; 0 means unlimited. */
export interface UserLimitDefaults {
  requestsPerMinute: number;
  runsPerMinute: number;
  activeRuns: number;
  openStreams: number;
  tokensPerDay: number;
  tokensPerMonth: number;
  costPerMonth: number;
  /** How long an instance caches a user's overrides, ms. */
  cacheMs: number;
}

/** Each provider's settings, present only when configured. */
export interface ProviderSettings {
  /** OPENAI_API_KEY; OPENAI_BASE_URL: an OpenAI-compatible server's `/v1` URL (vLLM, llama.cpp, LM Studio, Ollama), unset for OpenAI. */
  openai?: { apiKey: string; baseUrl: string | undefined };
  /** ANTHROPIC_API_KEY; ANTHROPIC_BASE_URL: the API's root, without `/v1` (the SDK adds it). */
  anthropic?: { apiKey: string; baseUrl: string | undefined };
  /** OLLAMA_HOST, credentials included (`https://user:key@host`). */
  ollama?: { host: string };
}

/** The default model when THREADLINE_MODEL is unset: the first configured provider's, else local/echo. */
function defaultModelFor(providers: ProviderSettings): string {
  if (providers.openai) return 'openai/gpt-5.4-mini';
  if (providers.anthropic) return 'anthropic/claude-sonnet-5';
  return 'local/echo';
}

/** Reads the configuration from an environment (process.env by default); throws listing every bad variable. */
export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  const parsed = Environment.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const env = parsed.data;
  const webSearch = webSearchOf(env);
  const dataDir = resolve(env.THREADLINE_DATA_DIR);
  const defaultAgentsFile = join(dataDir, 'agents.yaml');
  const providers: ProviderSettings = {
    // A local OpenAI-compatible server (vLLM, llama.cpp, LM Studio) often needs no key: its URL is enough.
    ...(env.OPENAI_API_KEY || env.OPENAI_BASE_URL
      ? { openai: { apiKey: env.OPENAI_API_KEY ?? 'unused', baseUrl: env.OPENAI_BASE_URL } }
      : {}),
    ...(env.ANTHROPIC_API_KEY ? { anthropic: { apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL } } : {}),
    ...(env.OLLAMA_HOST ? { ollama: { host: env.OLLAMA_HOST } } : {}),
  };
  return {
    limits: {
      maxBatchSize: env.THREADLINE_MAX_BATCH,
      maxQueuedRunsPerUser: env.THREADLINE_MAX_QUEUED_RUNS,
      userShare: env.THREADLINE_USER_SHARE,
      maxAnswerBytes: env.THREADLINE_MAX_ANSWER_BYTES,
      eventMemoryBytes: env.THREADLINE_EVENT_MEMORY_BYTES,
      streamStallMs: env.THREADLINE_STREAM_STALL_MS,
    },
    port: env.PORT,
    host: env.HOST,
    dataDir,
    databaseUrl: env.DATABASE_URL,
    defaultModel: env.THREADLINE_MODEL ?? defaultModelFor(providers),
    localDelayMs: env.THREADLINE_LOCAL_DELAY_MS,
    corsOrigins: env.THREADLINE_CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean),
    runRetentionMs: env.THREADLINE_RUN_RETENTION_MS,
    maxBodyBytes: env.THREADLINE_MAX_BODY_BYTES,
    logLevel: env.LOG_LEVEL,
    providers,
    resilience: {
      maxRetries: env.THREADLINE_PROVIDER_MAX_RETRIES,
      initialBackoffMs: env.THREADLINE_PROVIDER_BACKOFF_MS,
      maxBackoffMs: 30_000,
      idleTimeoutMs: env.THREADLINE_PROVIDER_IDLE_TIMEOUT_MS,
    },
    concurrency: concurrencyOf(environment, env.THREADLINE_CONCURRENCY),
    contextWindows: parseContextWindows(env.THREADLINE_CONTEXT_WINDOWS),
    webSearch,
    maxRunMs: env.THREADLINE_MAX_RUN_MS,
    approvalTimeoutMs: env.THREADLINE_APPROVAL_TIMEOUT_MS,
    redisUrl: env.REDIS_URL,
    redisPrefix: env.THREADLINE_REDIS_PREFIX,
    instanceId: env.THREADLINE_INSTANCE_ID,
    instanceTtlMs: env.THREADLINE_INSTANCE_TTL_MS,
    checkpointMs: env.THREADLINE_CHECKPOINT_MS,
    searchIndexMs: env.THREADLINE_SEARCH_INDEX_MS,
    databaseTimeoutMs: env.THREADLINE_DB_TIMEOUT_MS,
    shutdownGraceMs: env.THREADLINE_SHUTDOWN_GRACE_MS,
    idleGcBytes: env.THREADLINE_IDLE_GC_MB * 2 ** 20,
    agentsFile: env.THREADLINE_AGENTS_FILE
      ? resolve(env.THREADLINE_AGENTS_FILE)
      : existsSync(defaultAgentsFile)
        ? defaultAgentsFile
        : undefined,
    logContent: enabled(env.LOG_CONTENT),
    metrics: { enabled: enabled(env.THREADLINE_METRICS), token: env.THREADLINE_METRICS_TOKEN },
    tracing: { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME },
    retention: {
      archivedSessionsMs: retentionMs(env.THREADLINE_RETENTION_ARCHIVED_DAYS, env.THREADLINE_RETENTION_DAYS),
      sessionsMs: retentionMs(env.THREADLINE_RETENTION_SESSION_DAYS, env.THREADLINE_RETENTION_DAYS),
      runsMs: retentionMs(env.THREADLINE_RETENTION_RUN_DAYS, env.THREADLINE_RETENTION_DAYS),
      intervalMs: env.THREADLINE_RETENTION_INTERVAL_MS,
      batchSize: env.THREADLINE_RETENTION_BATCH,
    },
    userLimits: {
      requestsPerMinute: env.THREADLINE_LIMIT_REQUESTS_PER_MINUTE,
      runsPerMinute: env.THREADLINE_LIMIT_RUNS_PER_MINUTE,
      activeRuns: env.THREADLINE_LIMIT_ACTIVE_RUNS,
      openStreams: env.THREADLINE_LIMIT_OPEN_STREAMS,
      tokensPerDay: env.THREADLINE_LIMIT_TOKENS_PER_DAY,
      tokensPerMonth: env.THREADLINE_LIMIT_TOKENS_PER_MONTH,
      costPerMonth: env.THREADLINE_LIMIT_COST_PER_MONTH,
      cacheMs: env.THREADLINE_LIMITS_CACHE_MS,
    },
    pricesFile: env.THREADLINE_PRICES_FILE ? resolve(env.THREADLINE_PRICES_FILE) : undefined,
    chatResumeGraceMs: env.THREADLINE_CHAT_RESUME_GRACE_MS,
  };
}

/** Runs at once per provider: THREADLINE_CONCURRENCY_<PROVIDER>, else the default; read once per provider (every run asks). */
function concurrencyOf(environment: Record<string, string | undefined>, fallback: number): (provider: string) => number {
  const known = new Map<string, number>();
  return (provider) => {
    let limit = known.get(provider);
    if (limit === undefined) {
      const override = Number(environment[`THREADLINE_CONCURRENCY_${provider.toUpperCase()}`]);
      limit = Number.isInteger(override) && override > 0 ? override : fallback;
      known.set(provider, limit);
    }
    return limit;
  };
}

/** The web search settings, or undefined when none is configured; throws when they are incomplete. */
function webSearchOf(env: z.infer<typeof Environment>): WebSearchSettings | undefined {
  const url = env.THREADLINE_WEB_SEARCH_URL;
  const apiKey = env.THREADLINE_WEB_SEARCH_API_KEY;
  const provider = env.THREADLINE_WEB_SEARCH_PROVIDER ?? (url ? 'searxng' : undefined);
  if (!provider) return undefined;
  if (provider === 'searxng') {
    if (!url) throw new Error('invalid configuration:\n  THREADLINE_WEB_SEARCH_URL: SearXNG needs the URL of its instance');
    return { provider, url, ...(apiKey ? { apiKey } : {}) };
  }
  if (!apiKey) throw new Error(`invalid configuration:\n  THREADLINE_WEB_SEARCH_API_KEY: ${provider} needs an API key`);
  return { provider, url: url ?? DEFAULT_WEB_SEARCH_URLS[provider], apiKey };
}
