import { Health, SystemInfo, SystemStatus } from '@threadline/shared';
import { countUsers } from '../store/users.js';
import { authedProcedure, publicProcedure, router } from '../trpc.js';
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

  status: authedProcedure.output(SystemStatus).query(async ({ ctx }) => {
    const { engine, db, startedAt } = ctx.services;
    const status = engine.status();
    return {
      uptimeMs: Date.now() - startedAt,
      activeRuns: status.active,
      queuedRuns: status.queued,
      waitingRuns: status.waiting,
      users: await countUsers(db),
      activeUsers: status.users,
      queues: status.queues,
    };
  }),
});
