import { ChatSendInput, ChatSendOutput, ChatStreamInput } from '@threadline/shared';
import type { StartRequest } from '../runs/index.js';
import { authedProcedure, router } from '../trpc.js';
import { heldStream } from './held-stream.js';
import { trackedEvents } from './tracked-events.js';

function startRequest(userId: string, input: ChatSendInput | ChatStreamInput): StartRequest {
  return {
    userId,
    content: input.content,
    ...(input.sessionId ? { sessionId: input.sessionId } : {}),
    ...(input.newSession ? { newSession: input.newSession } : {}),
    ...(input.agent ? { agent: input.agent } : {}),
    ...(input.model ? { model: input.model } : {}),
    ...(input.fallbacks ? { fallbacks: input.fallbacks } : {}),
    ...(input.requestId ? { requestId: input.requestId } : {}),
    ...(input.priority ? { priority: input.priority } : {}),
  };
}

/** Sending messages: wait for the answer, or stream it. */
export const chatRouter = router({
  send: authedProcedure
    .input(ChatSendInput)
    .output(ChatSendOutput)
    .mutation(async ({ ctx, input }) => {
      const { engine } = ctx.services;
      const runId = await engine.start(startRequest(ctx.user.id, input), { requestId: ctx.requestId, span: ctx.span });
      return engine.outcome(ctx.user.id, runId);
    }),

  stream: authedProcedure.input(ChatStreamInput).subscription(async ({ ctx, input, signal }) => {
    const { engine, limiter } = ctx.services;
    const userId = ctx.user.id;
    return heldStream(limiter, userId, signal, async () => {
      const runId = await engine.start(startRequest(userId, input), { requestId: ctx.requestId, span: ctx.span });
      const events = await engine.events(userId, runId, Number(input.lastEventId ?? 0), signal!);
      // The client left before the end: by default the run goes on; `cancel` stops it.
      const cancel = () => void engine.cancel(userId, runId, 'the client disconnected').catch(() => {});
      return trackedEvents(events, input.onDisconnect === 'cancel' ? cancel : undefined);
    });
  }),
});
