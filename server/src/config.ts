import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { type ContextWindowOverrides, parseContextWindows } from './providers/context-windows.js';
import type { ResiliencePolicy } from './providers/resilient-model.js';
import { DEFAULT_WEB_SEARCH_URLS, type WebSearchSettings } from './web-search/web-search.js';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const emptyIsUnset = (value: unknown) => (value === '' ? undefined : value);
const optionalUrl = z.preprocess(emptyIsUnset, z.url().optional());
const optionalText = z.preprocess(emptyIsUnset, z.string().optional());

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
  THREADLINE_MODEL: z.string().optional(),
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
  /** Bound of a database connection, statement or lock wait, ms. */
  databaseTimeoutMs: number;
  shutdownGraceMs: number;
  /** Absolute path of the agents file (agents and MCP servers), or undefined for built-in agents only. */
  agentsFile: string | undefined;
  /** Context windows set by THREADLINE_CONTEXT_WINDOWS (the rest are known per model family). */
  contextWindows: ContextWindowOverrides;
  /** The web search behind `web_search`; undefined: not configured (research searches history). */
  webSearch: WebSearchSettings | undefined;
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
    databaseTimeoutMs: env.THREADLINE_DB_TIMEOUT_MS,
    shutdownGraceMs: env.THREADLINE_SHUTDOWN_GRACE_MS,
    agentsFile: env.THREADLINE_AGENTS_FILE
      ? resolve(env.THREADLINE_AGENTS_FILE)
      : existsSync(defaultAgentsFile)
        ? defaultAgentsFile
        : undefined,
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
