import { limits, Run, RunApproveInput, RunCancelInput, RunDenyInput, RunEventsInput, RunIdInput, RunListInput, RunPage } from '@threadline/shared';
import type { Kysely } from 'kysely';
import { notFound } from '../errors.js';
import type { Database } from '../store/database.js';
import { findRun, listRuns, toRun } from '../store/runs.js';
import { findSession } from '../store/sessions.js';
import { authedProcedure, router } from '../trpc.js';
import { heldStream } from './held-stream.js';
import { trackedEvents } from './tracked-events.js';

/** Runs: their record, their events (join or resume), cancel, and the approvals a run waits for. */
export const runsRouter = router({
  /** The user's runs, newest first: of one session, in some statuses (the active ones of a session, say). */
  list: authedProcedure
    .input(RunListInput)
    .output(RunPage)
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      if (input?.sessionId && !(await findSession(db, ctx.user.id, input.sessionId))) throw notFound('session');
      return listRuns(db, ctx.user.id, {
        limit: input?.limit ?? limits.defaultPageSize,
        ...(input?.sessionId ? { sessionId: input.sessionId } : {}),
        ...(input?.status ? { status: input.status } : {}),
        ...(input?.cursor ? { cursor: input.cursor } : {}),
      });
    }),

  get: authedProcedure
    .input(RunIdInput)
    .output(Run)
    .query(async ({ ctx, input }) => {
      return runRecord(ctx.services.db, ctx.user.id, input.runId);
    }),

  events: authedProcedure.input(RunEventsInput).subscription(({ ctx, input, signal }) =>
    heldStream(ctx.services.limiter, ctx.user.id, signal, async () => trackedEvents(await ctx.services.engine.events(ctx.user.id, input.runId, Number(input.lastEventId ?? 0), signal!))),
  ),

  /** Cancels a queued, running or waiting run, by its id or by the requestId of its send (also before that send arrives); idempotent. */
  cancel: authedProcedure
    .input(RunCancelInput)
    .output(Run)
    .mutation(async ({ ctx, input }) => {
      const { engine, db } = ctx.services;
      if ('requestId' in input) return runRecord(db, ctx.user.id, await engine.cancelRequest(ctx.user.id, input.requestId));
      await engine.cancel(ctx.user.id, input.runId);
      return runRecord(db, ctx.user.id, input.runId);
    }),

  /** Lets the waiting run's calls (all pending ones, or `callIds`) run; once none is pending the run goes on. */
  approve: authedProcedure
    .input(RunApproveInput)
    .output(Run)
    .mutation(async ({ ctx, input }) => {
      const { callIds, always } = input;
      await ctx.services.engine.decide(ctx.user.id, input.runId, { approved: true, ...(callIds ? { callIds } : {}), ...(always ? { always } : {}) });
      return runRecord(ctx.services.db, ctx.user.id, input.runId);
    }),

  /** Refuses the waiting run's calls: each gets an error result (with `reason`) that the model sees. */
  deny: authedProcedure
    .input(RunDenyInput)
    .output(Run)
    .mutation(async ({ ctx, input }) => {
      const { callIds, reason } = input;
      await ctx.services.engine.decide(ctx.user.id, input.runId, { approved: false, ...(callIds ? { callIds } : {}), ...(reason ? { reason } : {}) });
      return runRecord(ctx.services.db, ctx.user.id, input.runId);
    }),
});

async function runRecord(db: Kysely<Database>, userId: string, runId: string): Promise<Run> {
  const row = await findRun(db, userId, runId);
  if (!row) throw notFound('run');
  return toRun(row);
}
