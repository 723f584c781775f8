import { UsageSummary, UsageSummaryInput } from '@threadline/shared';
import { invalid } from '../errors.js';
import { periodStarts } from '../limits/index.js';
import { summarizeUsage } from '../store/usage-ledger.js';
import { authedProcedure, router } from '../trpc.js';

/** The caller's own usage and cost, from the usage ledger. */
export const usageRouter = router({
  /** Totals between `from` (default: the start of this month, UTC) and `to` (default: now), and by day, model, session or agent. */
  summary: authedProcedure
    .input(UsageSummaryInput)
    .output(UsageSummary)
    .query(async ({ ctx, input }) => {
      const to = input?.to ?? new Date();
      const from = input?.from ?? new Date(periodStarts(to).month);
      if (from.getTime() > to.getTime()) throw invalid('`from` must not be after `to`');
      const summary = await summarizeUsage(ctx.services.db, {
        userId: ctx.user.id,
        from: from.getTime(),
        to: to.getTime(),
        ...(input?.groupBy ? { groupBy: input.groupBy } : {}),
      });
      return { from, to, currency: 'USD' as const, ...summary };
    }),
});
