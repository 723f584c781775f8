import {
  HistoryPage,
  limits,
  Session,
  SessionCreateInput,
  SessionDeleteOutput,
  SessionHistoryInput,
  SessionIdInput,
  SessionListInput,
  SessionPage,
  SessionUpdateInput,
} from '@threadline/shared';
import { DEFAULT_AGENT } from '../agents/registry.js';
import { notFound } from '../errors.js';
import { listMessages, toMessage } from '../store/messages.js';
import * as sessions from '../store/sessions.js';
import { authedProcedure, router } from '../trpc.js';

/** Sessions (threads) of the caller. */
export const sessionsRouter = router({
  create: authedProcedure
    .input(SessionCreateInput)
    .output(Session)
    .mutation(async ({ ctx, input }) => {
      const { services, user } = ctx;
      const agent = services.agents.get(input.agent ?? DEFAULT_AGENT);
      if (input.model) services.providers.resolve(input.model);
      const row = await sessions.createSession(services.db, {
        userId: user.id,
        agent: agent.name,
        title: input.title ?? null,
        model: input.model ?? null,
        ...(input.metadata ? { metadata: input.metadata } : {}),
        ...(input.busyPolicy ? { busyPolicy: input.busyPolicy } : {}),
      });
      return sessions.toSession(row);
    }),

  list: authedProcedure
    .input(SessionListInput)
    .output(SessionPage)
    .query(async ({ ctx, input }) => {
      const page = await sessions.listSessions(ctx.services.db, ctx.user.id, {
        limit: input?.limit ?? limits.defaultPageSize,
        archived: input?.archived ?? false,
        ...(input?.cursor ? { cursor: input.cursor } : {}),
        ...(input?.query ? { query: input.query } : {}),
      });
      return { items: page.rows.map(sessions.toSession), nextCursor: page.nextCursor };
    }),

  get: authedProcedure
    .input(SessionIdInput)
    .output(Session)
    .query(async ({ ctx, input }) => {
      const row = await sessions.findSession(ctx.services.db, ctx.user.id, input.sessionId);
      if (!row) throw notFound('session');
      return sessions.toSession(row);
    }),

  history: authedProcedure
    .input(SessionHistoryInput)
    .output(HistoryPage)
    .query(async ({ ctx, input }) => {
      const { db } = ctx.services;
      if (!(await sessions.findSession(db, ctx.user.id, input.sessionId))) throw notFound('session');
      const page = await listMessages(db, input.sessionId, {
        limit: input.limit ?? limits.defaultPageSize,
        ...(input.cursor ? { cursor: input.cursor } : {}),
      });
      return { messages: page.rows.map(toMessage), nextCursor: page.nextCursor };
    }),

  update: authedProcedure
    .input(SessionUpdateInput)
    .output(Session)
    .mutation(async ({ ctx, input }) => {
      const { services, user } = ctx;
      if (input.agent) services.agents.get(input.agent);
      if (input.model) services.providers.resolve(input.model);
      const row = await sessions.updateSession(services.db, user.id, input.sessionId, {
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(input.metadata !== undefined ? { metadata: JSON.stringify(input.metadata) } : {}),
        ...(input.agent !== undefined ? { agent: input.agent } : {}),
        ...(input.model !== undefined ? { model: input.model } : {}),
        ...(input.busyPolicy !== undefined ? { busy_policy: input.busyPolicy } : {}),
        ...(input.allowedTools !== undefined ? { allowed_tools: JSON.stringify([...new Set(input.allowedTools)]) } : {}),
      });
      if (!row) throw notFound('session');
      return sessions.toSession(row);
    }),

  clear: authedProcedure
    .input(SessionIdInput)
    .output(Session)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.engine.cancelSession(ctx.user.id, input.sessionId);
      const row = await sessions.clearSession(ctx.services.db, ctx.user.id, input.sessionId);
      if (!row) throw notFound('session');
      return sessions.toSession(row);
    }),

  archive: authedProcedure
    .input(SessionIdInput)
    .output(Session)
    .mutation(({ ctx, input }) => setArchived(ctx, input.sessionId, true)),

  unarchive: authedProcedure
    .input(SessionIdInput)
    .output(Session)
    .mutation(({ ctx, input }) => setArchived(ctx, input.sessionId, false)),

  delete: authedProcedure
    .input(SessionIdInput)
    .output(SessionDeleteOutput)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.engine.cancelSession(ctx.user.id, input.sessionId);
      if (!(await sessions.deleteSession(ctx.services.db, ctx.user.id, input.sessionId))) throw notFound('session');
      return { sessionId: input.sessionId, deleted: true as const };
    }),
});

async function setArchived(
  ctx: { services: { db: Parameters<typeof sessions.updateSession>[0] }; user: { id: string } },
  sessionId: string,
  archived: boolean,
) {
  const row = await sessions.updateSession(ctx.services.db, ctx.user.id, sessionId, { archived: archived ? 1 : 0 });
  if (!row) throw notFound('session');
  return sessions.toSession(row);
}
