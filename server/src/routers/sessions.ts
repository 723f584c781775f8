import {
  HistoryPage,
  limits,
  Session,
  SessionCreateInput,
  SessionDeleteOutput,
  SessionEventsInput,
  SessionHistoryInput,
  SessionIdInput,
  SessionListInput,
  SessionPage,
  SessionUpdateInput,
  SessionExportInput,
  SessionExportOutput,
  SessionImportInput,
  SwitchBranchInput,
  SwitchBranchOutput,
} from '@threadline/shared';
import { DEFAULT_AGENT } from '../agents/registry.js';
import { notFound } from '../errors.js';
import { sessionMarkdown, versionsOf } from '../session-markdown.js';
import { switchBranch } from '../store/branches.js';
import { exportSession, importSession } from '../store/session-transfer.js';
import { historyPage } from '../store/messages.js';
import * as sessions from '../store/sessions.js';
import { heldStream } from './held-stream.js';
import { authedProcedure, router } from '../trpc.js';
import { trackedSessionEvents } from './tracked-events.js';

/** Sessions (threads) of the caller. */
export const sessionsRouter = router({
  create: authedProcedure
    .input(SessionCreateInput)
    .output(Session)
    .mutation(async ({ ctx, input }) => {
      const { services, user } = ctx;
      const agent = services.agents.get(input.agent ?? DEFAULT_AGENT);
      if (input.model) services.providers.resolve(input.model);
      return sessions.createSession(services.db, {
        userId: user.id,
        agent: agent.name,
        title: input.title ?? null,
        model: input.model ?? null,
        ...(input.metadata ? { metadata: input.metadata } : {}),
        ...(input.busyPolicy ? { busyPolicy: input.busyPolicy } : {}),
      });
    }),

  /** Every run of the session as it starts (from any client or instance) and its events; resumes after `lastEventId`. */
  events: authedProcedure.input(SessionEventsInput).subscription(async ({ ctx, input, signal }) => {
    // One of the user's open streams while it is followed (THREADLINE_LIMIT_OPEN_STREAMS).
    return heldStream(ctx.services.limiter, ctx.user.id, signal, async () =>
      trackedSessionEvents(await ctx.services.engine.followSession(ctx.user.id, input.sessionId, input.lastEventId, signal!)),
    );
  }),

  list: authedProcedure
    .input(SessionListInput)
    .output(SessionPage)
    .query(async ({ ctx, input }) => {
      return sessions.listSessions(ctx.services.db, ctx.user.id, {
        limit: input?.limit ?? limits.defaultPageSize,
        archived: input?.archived ?? false,
        ...(input?.cursor ? { cursor: input.cursor } : {}),
        ...(input?.query ? { query: input.query } : {}),
      });
    }),

  get: authedProcedure
    .input(SessionIdInput)
    .output(Session)
    .query(async ({ ctx, input }) => {
      const session = await sessions.findSession(ctx.services.db, ctx.user.id, input.sessionId);
      if (!session) throw notFound('session');
      return session;
    }),

  history: authedProcedure
    .input(SessionHistoryInput)
    .output(HistoryPage)
    .query(async ({ ctx, input }) => {
      const page = await historyPage(ctx.services.db, ctx.user.id, input.sessionId, {
        limit: input.limit ?? limits.defaultPageSize,
        ...(input.cursor ? { cursor: input.cursor } : {}),
      });
      if (!page) throw notFound('session');
      return page;
    }),

  switchBranch: authedProcedure
    .input(SwitchBranchInput)
    .output(SwitchBranchOutput)
    .mutation(async ({ ctx, input }) => {
      const leafId = await switchBranch(ctx.services.db, ctx.user.id, input.sessionId, input.messageId);
      if (!leafId) throw notFound('message');
      return { sessionId: input.sessionId, leafId };
    }),

  export: authedProcedure
    .input(SessionExportInput)
    .output(SessionExportOutput)
    .query(async ({ ctx, input }) => {
      const exported = await exportSession(ctx.services.db, ctx.user.id, input.sessionId);
      if (!exported) throw notFound('session');
      const format = input.format ?? 'json';
      const name = (exported.session.title ?? 'session').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'session';
      const filename = `${name}-${input.sessionId.slice(-8)}.${format === 'json' ? 'json' : 'md'}`;
      const content = format === 'json' ? `${JSON.stringify(exported.data, null, 2)}\n` : sessionMarkdown(exported.session, exported.shown, versionsOf(exported.data.messages));
      return { format, filename, content };
    }),

  import: authedProcedure
    .input(SessionImportInput)
    .output(Session)
    .mutation(async ({ ctx, input }) => {
      const { services, user } = ctx;
      const { session } = input.data;
      // What this server does not have falls back to its defaults, so the session can go on here.
      const agent = services.agents.find(session.agent) ?? services.agents.get(DEFAULT_AGENT);
      let model = session.model;
      if (model !== null) {
        try {
          services.providers.resolve(model);
        } catch {
          model = null;
        }
      }
      return importSession(services.db, user.id, input.data, { agent: agent.name, model });
    }),

  update: authedProcedure
    .input(SessionUpdateInput)
    .output(Session)
    .mutation(async ({ ctx, input }) => {
      const { services, user } = ctx;
      if (input.agent) services.agents.get(input.agent);
      if (input.model) services.providers.resolve(input.model);
      const { sessionId, ...change } = input;
      const session = await sessions.updateSession(services.db, user.id, sessionId, change);
      if (!session) throw notFound('session');
      return session;
    }),

  clear: authedProcedure
    .input(SessionIdInput)
    .output(Session)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.engine.cancelSession(ctx.user.id, input.sessionId);
      const session = await sessions.clearSession(ctx.services.db, ctx.user.id, input.sessionId);
      if (!session) throw notFound('session');
      return session;
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
  const session = await sessions.updateSession(ctx.services.db, ctx.user.id, sessionId, { archived });
  if (!session) throw notFound('session');
  return session;
}
