import { tracked } from '@trpc/server';
import { Run, RunEventsInput, RunIdInput } from '@threadline/shared';
import { notFound } from '../errors.js';
import { findRun, toRun } from '../store/runs.js';
import { authedProcedure, router } from '../trpc.js';

/** Runs: their record, their events (join or resume), cancel. */
export const runsRouter = router({
  get: authedProcedure
    .input(RunIdInput)
    .output(Run)
    .query(async ({ ctx, input }) => {
      const row = await findRun(ctx.services.db, ctx.user.id, input.runId);
      if (!row) throw notFound('run');
      return toRun(row);
    }),

  events: authedProcedure.input(RunEventsInput).subscription(async ({ ctx, input, signal }) => {
    const events = await ctx.services.engine.events(ctx.user.id, input.runId, Number(input.lastEventId ?? 0), signal!);
    return (async function* () {
      for await (const { id, event } of events) yield tracked(String(id), event);
    })();
  }),

  cancel: authedProcedure
    .input(RunIdInput)
    .output(Run)
    .mutation(async ({ ctx, input }) => {
      const { engine, db } = ctx.services;
      await engine.cancel(ctx.user.id, input.runId);
      const row = await findRun(db, ctx.user.id, input.runId);
      if (!row) throw notFound('run');
      return toRun(row);
    }),
});
