import { z } from 'zod';

export const Health = z.object({ ok: z.literal(true), time: z.date() });
export type Health = z.infer<typeof Health>;

export const ProviderInfo = z.object({
  /** `openai`, `anthropic`, `ollama` or `local`. */
  name: z.string(),
  configured: z.boolean(),
  /** Where requests go (never a key). */
  baseUrl: z.string().nullable(),
});
export type ProviderInfo = z.infer<typeof ProviderInfo>;

export const SystemInfo = z.object({
  name: z.literal('threadline'),
  version: z.string(),
  /** Feature flags a client may test for, e.g. `sse`, `resume`, `postgres`. */
  features: z.array(z.string()),
  providers: z.array(ProviderInfo),
  defaultModel: z.string(),
  database: z.enum(['sqlite', 'postgres']),
  /** Runs executing at once per provider (THREADLINE_CONCURRENCY[_<PROVIDER>]), for clients that check what a server is set up for. */
  concurrency: z.record(z.string(), z.number().int().positive()),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

/** Unfinished runs by status. */
export const RunCounts = z.object({
  queued: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  waiting: z.number().int().nonnegative(),
});
export type RunCounts = z.infer<typeof RunCounts>;

/**
 * What any user may see: how busy this instance is (anonymous aggregates) and the caller's own
 * runs. Who else uses the server, and how many they are, is for operators (`OperatorStatus`).
 */
export const SystemStatus = z.object({
  uptimeMs: z.number().nonnegative(),
  /** Runs executing now, on this instance (everyone's, counted). */
  activeRuns: z.number().int().nonnegative(),
  /** Runs waiting for a slot, on this instance. */
  queuedRuns: z.number().int().nonnegative(),
  /** Runs paused until their user approves or denies tool calls, on this instance. */
  waitingRuns: z.number().int().nonnegative(),
  /** Per provider: runs executing, runs waiting for a slot, and the concurrency limit. */
  queues: z.array(
    z.object({
      provider: z.string(),
      running: z.number().int().nonnegative(),
      queued: z.number().int().nonnegative(),
      limit: z.number().int().positive(),
    }),
  ),
  /** The caller's unfinished runs, on every instance (from the database). */
  own: RunCounts,
});
export type SystemStatus = z.infer<typeof SystemStatus>;

/** `system.operatorStatus`, for operator tokens only: every figure of `SystemStatus`, and who is using the server. */
export const OperatorStatus = SystemStatus.extend({
  /** Users known to the database. */
  users: z.number().int().nonnegative(),
  /** Users with at least one unfinished run, on every instance. */
  activeUsers: z.number().int().nonnegative(),
  /** Unfinished runs per user, on every instance, the most first. */
  runsByUser: z.array(RunCounts.extend({ userId: z.string(), name: z.string() })),
});
export type OperatorStatus = z.infer<typeof OperatorStatus>;

export const ModelInfo = z.object({
  /** `provider/model`. */
  id: z.string(),
  provider: z.string(),
  name: z.string(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;
