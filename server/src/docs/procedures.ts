import type { AnyRouter } from '@trpc/server';
import type { z } from 'zod';
import type { ProcedureAccess } from '../trpc.js';

/** One procedure of a router, as the API document describes it. */
export interface ProcedureEntry {
  /** `sessions.create`. */
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  /** Its input schema, if it takes one. */
  input?: z.ZodType;
  /** Its output schema (every procedure here declares one; subscriptions yield stream events). */
  output?: z.ZodType;
  /** Who may call it (the procedure's `meta.access`). */
  access: ProcedureAccess;
  /** True when the procedure also accepts no input at all. */
  inputOptional: boolean;
}

interface ProcedureDefinition {
  _def: { type: ProcedureEntry['type']; inputs: z.ZodType[]; output?: z.ZodType; meta?: { access?: ProcedureAccess } };
}

/**
 * Every procedure of `router`, in the router's order, read from tRPC's own table (`_def.procedures`,
 * flat by path): what the server serves is what the document lists.
 */
export function routerProcedures(router: AnyRouter): ProcedureEntry[] {
  const procedures = router._def.procedures as Record<string, ProcedureDefinition>;
  return Object.entries(procedures).map(([path, procedure]) => {
    const { type, inputs, output, meta } = procedure._def;
    if (inputs.length > 1) throw new Error(`${path} chains ${inputs.length} input schemas; the document describes one`);
    const input = inputs[0];
    return {
      path,
      type,
      ...(input ? { input } : {}),
      ...(output ? { output } : {}),
      // A procedure built from neither publicProcedure nor authedProcedure: say it needs a token (the safe guess).
      access: meta?.access ?? 'user',
      inputOptional: !input || input.safeParse(undefined).success,
    };
  });
}
