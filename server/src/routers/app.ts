import { router } from '../trpc.js';
import { agentsRouter } from './agents.js';
import { chatRouter } from './chat.js';
import { messagesRouter } from './messages.js';
import { searchRouter } from './search.js';
import { modelsRouter } from './models.js';
import { runsRouter } from './runs.js';
import { sessionsRouter } from './sessions.js';
import { systemRouter } from './system.js';
import { usageRouter } from './usage.js';

/** The whole API. */
export const appRouter = router({
  sessions: sessionsRouter,
  chat: chatRouter,
  runs: runsRouter,
  agents: agentsRouter,
  models: modelsRouter,
  system: systemRouter,
  usage: usageRouter,
  messages: messagesRouter,
  search: searchRouter,
});

/** The API's type: all a client needs from the server (`import type`). */
export type AppRouter = typeof appRouter;
