import type { AgentContextPolicy } from '../../agents/context-policy.js';
import type { AgentDefinition } from '../../agents/types.js';
import { DEFAULT_MAX_OUTPUT_TOKENS, THINKING_BUDGET_TOKENS } from '../../providers/anthropic/anthropic-limits.js';
import type { ChatModel, ModelMessage, ModelTool } from '../../providers/types.js';
import { SUMMARY_HEADING, SUMMARY_TOKENS, type ContextSummaries } from './context-summary.js';
import { estimateRequestTokens, estimateTokens, fitContext } from './context-window.js';
import type { TokenCalibration } from './token-calibration.js';

/** What keeps requests inside their model's context window. */
export interface ContextLimits {
  /** The model's context window, tokens; undefined: no limit (the built-in model). */
  windowOf(modelId: string): number | undefined;
  /** Tokens per estimated token, per model, learned from reported usage. */
  calibration: TokenCalibration;
}

/** The answer's room when the agent does not say: what Threadline asks Anthropic for by default. */
const DEFAULT_ANSWER_TOKENS = DEFAULT_MAX_OUTPUT_TOKENS;
/** Kept free for what the estimate misses (message framing the provider adds, tool-call syntax). */
const SAFETY_MARGIN = 0.05;

/**
 * The policy a request of `agent` to `modelId` follows: the agent's own, with a token limit that
 * keeps the prompt inside the model's window, less the room its answer (and thinking) may take, in
 * the estimate's units (divided by the model's calibrated tokens per estimated token).
 */
export function windowPolicy(agent: AgentDefinition, modelId: string, limits: ContextLimits | undefined): AgentContextPolicy | undefined {
  const policy = agent.context;
  const window = policy?.windowTokens ?? limits?.windowOf(modelId);
  if (!limits || window === undefined) return policy;
  const thinking = agent.reasoning ? THINKING_BUDGET_TOKENS[agent.reasoning] : 0;
  // A limit the request sends (the agent's, or Anthropic's default, which it always sends) is room
  // the provider counts against the window in full; without one, the answer's room is a guess.
  const sent = agent.maxOutputTokens ?? (modelId.startsWith('anthropic/') ? DEFAULT_ANSWER_TOKENS : undefined);
  const answer = sent !== undefined ? sent + thinking : Math.min(Math.floor(window / 4), DEFAULT_ANSWER_TOKENS + thinking);
  const budget = Math.floor((window * (1 - SAFETY_MARGIN) - answer) / limits.calibration.ratio(modelId));
  return { ...policy, maxTokens: Math.max(1, Math.min(policy?.maxTokens ?? Number.POSITIVE_INFINITY, budget)) };
}

/** One request's system prompt and messages, fitted to the agent's policy and its model's window. */
export interface FittedRequest {
  system: string;
  messages: ModelMessage[];
  /** Its estimated input tokens (to learn the model's ratio from the usage it reports). */
  estimatedTokens: number;
}

/**
 * Fits a request before each model call: the agent's policy and its model's window decide which
 * older messages stay; with `overflow: summarize`, a summary of those left out joins the system
 * prompt (room for it is kept).
 */
export async function fitRequest(input: {
  agent: AgentDefinition;
  model: ChatModel;
  system: string;
  messages: ModelMessage[];
  tools?: ModelTool[];
  limits: ContextLimits | undefined;
  summaries: ContextSummaries | undefined;
  signal: AbortSignal;
}): Promise<FittedRequest> {
  const { agent, model, tools, summaries } = input;
  const policy = windowPolicy(agent, model.id, input.limits);
  const summarizing = summaries !== undefined && agent.context?.overflow === 'summarize';
  const frame = { system: input.system, ...(tools ? { tools } : {}) };
  const fitted = fitContext(input.messages, policy, { ...frame, ...(summarizing ? { reservedTokens: SUMMARY_TOKENS + estimateTokens(SUMMARY_HEADING) } : {}) });
  let system = input.system;
  if (summarizing && fitted.dropped.length > 0) {
    const summary = await summaries.summarize(model, fitted.dropped, policy?.maxTokens ?? Number.POSITIVE_INFINITY, input.signal);
    if (summary) system = `${system}\n\n${SUMMARY_HEADING}\n${summary}`;
  }
  return { system, messages: fitted.kept, estimatedTokens: estimateRequestTokens(fitted.kept, { system, ...(tools ? { tools } : {}) }) };
}
