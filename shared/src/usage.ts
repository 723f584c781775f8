import { z } from 'zod';

/** How `usage.summary` groups its totals. */
export const UsageGroupBy = z.enum(['day', 'model', 'session', 'agent']);
export type UsageGroupBy = z.infer<typeof UsageGroupBy>;

export const UsageSummaryInput = z
  .strictObject({
    /** From this time on (default: the start of the current month, UTC). */
    from: z.date().optional(),
    /** Until this time, exclusive (default: now). */
    to: z.date().optional(),
    /** Also total by day (UTC, `YYYY-MM-DD`), model, session or agent. */
    groupBy: UsageGroupBy.optional(),
  })
  .optional();
export type UsageSummaryInput = z.infer<typeof UsageSummaryInput>;

/** Token counts and cost over some ledger entries. `inputTokens` includes the cached read and write ones. */
export const UsageTotals = z.object({
  /** Runs that used tokens. */
  runs: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** Input tokens read from the provider's prompt cache. */
  cachedInputTokens: z.number().int().nonnegative(),
  /** Input tokens written to the provider's prompt cache. */
  cacheWriteInputTokens: z.number().int().nonnegative(),
  /** Output tokens spent on reasoning (part of `outputTokens`). */
  reasoningTokens: z.number().int().nonnegative(),
  /** At the prices when each run was recorded, in `currency`. */
  cost: z.number().nonnegative(),
});
export type UsageTotals = z.infer<typeof UsageTotals>;

/** One group of a summary: its key (a day, model, session id or agent; null for runs without a session) and its totals. */
export const UsageGroup = UsageTotals.extend({ key: z.string().nullable() });
export type UsageGroup = z.infer<typeof UsageGroup>;

/** The caller's usage between `from` and `to`. */
export const UsageSummary = z.object({
  from: z.date(),
  to: z.date(),
  currency: z.literal('USD'),
  total: UsageTotals,
  /** With `groupBy`: one entry per key, in key order (at most 1000); empty otherwise. */
  groups: z.array(UsageGroup),
});
export type UsageSummary = z.infer<typeof UsageSummary>;
