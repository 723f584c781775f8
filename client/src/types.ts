import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@threadline/server';

export type { AppRouter };
/** Every procedure's input, e.g. `RouterInputs['chat']['send']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output, e.g. `RouterOutputs['sessions']['list']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
