import type { z } from 'zod';

/** A tool an agent can call: validated input, executed on the server. */
export interface ToolDefinition<Input = unknown> {
  name: string;
  description: string;
  /** Validates the model's input; its JSON Schema is what the model sees. */
  input: z.ZodType<Input>;
  execute(input: Input, context: ToolContext): Promise<unknown>;
}

/** What a tool may know about the call. */
export interface ToolContext {
  userId: string;
  sessionId: string | null;
  signal: AbortSignal;
}

/** An agent: instructions, default model, tools. */
export interface AgentDefinition {
  name: string;
  description: string;
  /** The system prompt. */
  instructions: string;
  /** Default `provider/model`; undefined means the server's default model. */
  model?: string;
  tools: ToolDefinition<any>[];
  /** Most model calls in one run (tool loop steps). */
  maxSteps: number;
}
