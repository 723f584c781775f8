import { z } from 'zod';
import { AgentName } from './session.js';

/** How much reasoning an agent asks of its model: Anthropic's thinking budget, OpenAI's reasoning effort, Ollama's think. */
export const ReasoningEffort = z.enum(['low', 'medium', 'high']);
export type ReasoningEffort = z.infer<typeof ReasoningEffort>;

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
  /** Models that take over, in order, when its model fails before its first token. */
  fallbacks: z.array(z.string()),
  tools: z.array(ToolInfo),
  /** Agents it may hand the conversation to. */
  handoffs: z.array(z.string()),
  /** How a run proceeds: the tool loop, or the research pipeline (planner → searches → writer). */
  workflow: z.enum(['tools', 'research']),
  /** Most model calls in one run. */
  maxSteps: z.number().int().positive(),
  /** Which history a request carries; null: all of it. */
  context: z
    .object({
      lastMessages: z.number().int().positive().optional(),
      maxTokens: z.number().int().positive().optional(),
      /** The model's context window it assumes, tokens (else the server's knowledge of the model). */
      windowTokens: z.number().int().positive().optional(),
      /** Older messages that do not fit are left out (`drop`) or summarised. */
      overflow: z.enum(['drop', 'summarize']).optional(),
    })
    .nullable(),
  /** Whether its answers end with suggested follow-up questions. */
  suggestions: z.boolean(),
  /** How hard the model thinks before answering (extended thinking, reasoning effort); null: the model's default. */
  reasoning: ReasoningEffort.nullable(),
  /** Longest answer of one model call, in tokens; null: the provider's default. */
  maxOutputTokens: z.number().int().positive().nullable(),
  /** How it names an untitled session: its first words, or by asking the model. */
  titles: z.enum(['words', 'model']),
});
export type Agent = z.infer<typeof Agent>;

export const AgentGetInput = z.strictObject({ agent: AgentName });
export type AgentGetInput = z.infer<typeof AgentGetInput>;
