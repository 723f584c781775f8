import type { ReasoningEffort } from '@threadline/shared';
import type { AgentContextPolicy } from './context-policy.js';

/** What a tool may know about the call. */
export interface ToolContext {
  userId: string;
  sessionId: string | null;
  /** The run calling the tool. */
  runId: string;
  /** Aborted when the run stops or the tool's timeout passes. */
  signal: AbortSignal;
}

/** A validated input, or why it is not valid (the model sees the message). */
export type ToolInputCheck = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * A tool an agent can call: its input's JSON Schema (what the model sees), a validation of what the
 * model sent, and the execution. Built-in tools are written with `defineTool` (Zod); MCP tools
 * come with a JSON Schema from their server.
 */
export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  validate(input: unknown): ToolInputCheck;
  execute(input: unknown, context: ToolContext): Promise<unknown>;
  /**
   * Calls wait for the user's approval before they run: always (`true`), or when the function says
   * so for the validated input. An agent can also require it for any of its tools (`approval`).
   */
  needsApproval?: boolean | ((input: unknown) => boolean);
}

/** An agent: instructions, default model, tools and options. */
export interface AgentDefinition {
  name: string;
  description: string;
  /** The system prompt. */
  instructions: string;
  /** Default `provider/model`; undefined means the server's default model. */
  model?: string;
  /** `provider/model`s that take over, in order, when the model fails before its first token (failover). */
  fallbacks?: string[];
  tools: ToolDefinition[];
  /** Most model calls in one run (tool loop steps). */
  maxSteps: number;
  /** Which history a request carries (all of it when unset). */
  context?: AgentContextPolicy;
  /**
   * How an untitled session is named after its first exchange: `words` (default) takes the first
   * words of the question; `model` asks the session's model for a title of at most 6 words (one
   * extra request after the run, falling back to `words` when it fails).
   */
  titles?: 'words' | 'model';
  /** Ask the model to reason first, this hard (Anthropic thinking, OpenAI reasoning effort, Ollama think). */
  reasoning?: ReasoningEffort;
  /** Longest answer of one model call, in tokens (sent as the provider's max tokens); unset: the provider's default. */
  maxOutputTokens?: number;
  /** After a completed answer, ask the model for 2-4 follow-up questions (one extra request), stored on the message. */
  suggestions?: boolean;
  /**
   * Agents this one may hand the conversation to: the model sees a tool `handoff_to_<name>` per
   * target; calling it switches the rest of the run to that agent (instructions, tools, model).
   */
  handoffs?: string[];
  /** Names of this agent's tools whose every call waits for the user's approval (beside tools that always ask). */
  approval?: string[];
  /** How a run proceeds: the tool loop (default) or `research` (planner → parallel searches → writer; the first tool searches). */
  workflow?: 'research';
}
