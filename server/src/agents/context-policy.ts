/** Which part of a long conversation a request carries. */
export interface AgentContextPolicy {
  /** At most this many of the latest messages. */
  lastMessages?: number;
  /** At most about this many tokens of history (estimated), the latest first. */
  maxTokens?: number;
}
