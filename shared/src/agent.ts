import { z } from 'zod';
import { AgentName } from './session.js';

/** A tool as an agent advertises it. */
export const ToolInfo = z.object({
  name: z.string(),
  description: z.string(),
  /** Calls to it wait for the user's approval (always, or for some inputs). */
  needsApproval: z.boolean(),
});
export type ToolInfo = z.infer<typeof ToolInfo>;

/** An agent as clients see it. */
export const Agent = z.object({
  name: z.string(),
  description: z.string(),
  /** Its default `provider/model`. */
  model: z.string(),
  tools: z.array(ToolInfo),
});
export type Agent = z.infer<typeof Agent>;

export const AgentGetInput = z.strictObject({ agent: AgentName });
export type AgentGetInput = z.infer<typeof AgentGetInput>;
