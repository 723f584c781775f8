import { resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const optionalUrl = z.preprocess((value) => (value === '' ? undefined : value), z.string().url().optional());

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
  THREADLINE_RUN_RETENTION_MS: positiveInt.default(10 * 60 * 1000),
  /** SSE keep-alive ping interval, ms. */
  THREADLINE_SSE_PING_MS: positiveInt.default(10_000),
  /** Largest HTTP request body, bytes. */
  THREADLINE_MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: optionalUrl,
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: optionalUrl,
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: optionalUrl,
  OLLAMA_HOST: optionalUrl,
});

/** The server's configuration. */
export interface Config {
  port: number;
  host: string;
  /** Absolute path. */
  dataDir: string;
  databaseUrl: string | undefined;
  defaultModel: string;
  localDelayMs: number;
  corsOrigins: string[];
  runRetentionMs: number;
  ssePingMs: number;
  maxBodyBytes: number;
  logLevel: z.infer<typeof Environment>['LOG_LEVEL'];
}

/** Reads the configuration from an environment (process.env by default); throws listing every bad variable. */
export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  const parsed = Environment.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const env = parsed.data;
  return {
    port: env.PORT,
    host: env.HOST,
    dataDir: resolve(env.THREADLINE_DATA_DIR),
    databaseUrl: env.DATABASE_URL,
    defaultModel: env.THREADLINE_MODEL ?? 'local/echo',
    localDelayMs: env.THREADLINE_LOCAL_DELAY_MS,
    corsOrigins: env.THREADLINE_CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean),
    runRetentionMs: env.THREADLINE_RUN_RETENTION_MS,
    ssePingMs: env.THREADLINE_SSE_PING_MS,
    maxBodyBytes: env.THREADLINE_MAX_BODY_BYTES,
    logLevel: env.LOG_LEVEL,
  };
}
