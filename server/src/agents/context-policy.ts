/**
 * Which part of a long conversation a request carries. The system prompt and the current turn (the
 * newest user message and what the run added after it) are always sent; older messages are added,
 * newest first, while both limits hold. An assistant tool call and its results go or stay together.
 */
export interface AgentContextPolicy {
  /**
   * At most this many of the latest conversation messages, the current turn included: a user
   * message counts one, an assistant answer (its tool calls and results included) counts one.
   */
  lastMessages?: number;
  /**
   * At most about this many tokens per request (estimated as characters / 4, plus a few per
   * message), the system prompt and tool definitions included.
   */
  maxTokens?: number;
}
