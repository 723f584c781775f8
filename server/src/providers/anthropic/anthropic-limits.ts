// The Messages API's token numbers, in a module of their own: the context budget reads them for
// every agent, and importing them from the chat model would load the Anthropic SDK in every
// server, configured or not.

/** `max_tokens` is required by the Messages API; this is sent when the request names none. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;

/** Extended thinking's budget per reasoning effort (the API's minimum is 1,024). */
export const THINKING_BUDGET_TOKENS = { low: 1024, medium: 4096, high: 16_384 } as const;
