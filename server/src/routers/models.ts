import { z } from 'zod';
import { ModelInfo } from '@threadline/shared';
import { authedProcedure, router } from '../trpc.js';

/** The `provider/model` ids the configured providers offer. */
export const modelsRouter = router({
  list: authedProcedure.output(z.array(ModelInfo)).query(({ ctx }) => ctx.services.providers.listModels()),
});
