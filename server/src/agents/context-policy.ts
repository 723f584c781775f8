/**
 * Which part of a long conversation a request carries. The system prompt and the current turn (the
 * newest user message and what the run added after it) are always sent; older messages are added,
 * newest first, while every limit holds. An assistant tool call and its results go or stay together.
 *
 * Every agent keeps its requests inside its model's context window, whatever it sets here: the
 * window (known per model, `THREADLINE_CONTEXT_WINDOWS`, or `windowTokens`) less room for the
 * answer is a token limit of its own.
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
  /** The model's context window in tokens, when it differs from what the server knows of the model. */
  windowTokens?: number;
  /**
   * What happens to the older messages that do not fit: `drop` (the default) leaves them out;
   * `summarize` leaves them out and puts a summary of them, written by the model, in the system
   * prompt (one extra request when the window overflows, cached while what is left out stays the same).
   */
  overflow?: 'drop' | 'summarize';
}
