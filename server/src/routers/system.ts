import { Health, OperatorStatus, SystemInfo, SystemStatus } from '@threadline/shared';
import type { Services } from '../services.js';
import { ownRunCounts, unfinishedRunCounts } from '../store/run-counts.js';
import { countUsers } from '../store/users.js';
import { authedProcedure, operatorProcedure, publicProcedure, router } from '../trpc.js';
import { version } from '../version.js';

/** Liveness, what this server is, and what it is doing. */
export const systemRouter = router({
  health: publicProcedure.output(Health).query(() => ({ ok: true as const, time: new Date() })),

  info: publicProcedure.output(SystemInfo).query(({ ctx }) => {
    const { providers, config, dialect } = ctx.services;
    return {
      name: 'threadline' as const,
      version,
      features: ['sse', 'resume', 'cancel', 'idempotent-send', 'local-model', 'tools', 'mcp', 'approvals', dialect, ...(config.redisUrl ? ['redis'] : [])],
      providers: providers.list().map((provider) => ({ name: provider.name, configured: true, baseUrl: provider.baseUrl })),
      defaultModel: config.defaultModel,
      database: dialect,
      concurrency: Object.fromEntries(providers.list().map((provider) => [provider.name, config.concurrency(provider.name)])),
    };
  }),

  /** How busy this instance is (anonymous counts) and the caller's own runs; nothing about other users. */
  status: authedProcedure.output(SystemStatus).query(async ({ ctx }) => ({
    ...instanceStatus(ctx.services),
    own: await ownRunCounts(ctx.services.db, ctx.user.id),
  })),

  /** Operator tokens only (FORBIDDEN otherwise): every figure of `status`, plus the users and each one's runs. */
  operatorStatus: operatorProcedure.output(OperatorStatus).query(async ({ ctx }) => {
    const { db } = ctx.services;
    const [users, runsByUser, own] = await Promise.all([countUsers(db), unfinishedRunCounts(db), ownRunCounts(db, ctx.user.id)]);
    return { ...instanceStatus(ctx.services), own, users, activeUsers: runsByUser.length, runsByUser };
  }),
});

/** This instance's anonymous figures: uptime, runs by state, each provider's queue. */
function instanceStatus({ engine, startedAt }: Services) {
  const status = engine.status();
  return { uptimeMs: Date.now() - startedAt, activeRuns: status.active, queuedRuns: status.queued, waitingRuns: status.waiting, queues: status.queues };
}
