import { z } from 'zod';
import type { ToolContext, ToolDefinition } from './types.js';

/** A tool whose input is a Zod schema: the model sees its JSON Schema, inputs are parsed with it. */
export function defineTool<Input>(definition: {
  name: string;
  description: string;
  input: z.ZodType<Input>;
  execute(input: Input, context: ToolContext): Promise<unknown>;
  /** Calls wait for the user's approval: always, or when this says so for the input. */
  needsApproval?: boolean | ((input: Input) => boolean);
}): ToolDefinition {
  const { needsApproval } = definition;
  return {
    name: definition.name,
    description: definition.description,
    inputSchema: z.toJSONSchema(definition.input) as Record<string, unknown>,
    validate(input) {
      const parsed = definition.input.safeParse(input);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: z.prettifyError(parsed.error) };
    },
    execute: (input, context) => definition.execute(input as Input, context),
    ...(needsApproval === undefined ? {} : { needsApproval: typeof needsApproval === 'function' ? (input: unknown) => needsApproval(input as Input) : needsApproval }),
  };
}
