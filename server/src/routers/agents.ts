import { z } from 'zod';
import { Agent, AgentGetInput } from '@threadline/shared';
import { notFound } from '../errors.js';
import { authedProcedure, router } from '../trpc.js';

/** The agents this server runs. */
export const agentsRouter = router({
  list: authedProcedure.output(z.array(Agent)).query(({ ctx }) => ctx.services.agents.list()),

  get: authedProcedure
    .input(AgentGetInput)
    .output(Agent)
    .query(({ ctx, input }) => {
      const agent = ctx.services.agents.list().find((candidate) => candidate.name === input.agent);
      if (!agent) throw notFound('agent');
      return agent;
    }),
});
