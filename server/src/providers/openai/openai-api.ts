import { z } from 'zod';

/**
 * The OpenAI Chat Completions wire shapes Threadline reads itself. The `openai` SDK only casts each
 * SSE frame to its TypeScript types, and OpenAI-compatible servers (vLLM, llama.cpp, LM Studio,
 * Ollama's /v1, DeepSeek) add or omit fields, so every chunk is checked here. Unknown fields are
 * accepted and dropped (`z.object` strips them): OpenAI adds fields such as `obfuscation`, which
 * must not break us, and nothing reads them. (The chunk schemas used `looseObject`, which copies
 * every unknown field, `id`, `object`, `created`, `model`…, into a new object on every token.)
 */

/** One fragment of a streamed tool call: `id` and `function.name` come only on a call's first fragment. */
export const openAIToolCallDeltaSchema = z.object({
  /** Which call this fragment belongs to. Some compatible servers omit it and send each call whole. */
  index: z.number().int().nonnegative().nullish(),
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});
export type OpenAIToolCallDelta = z.infer<typeof openAIToolCallDeltaSchema>;

/** Token counts: on the final chunk (`choices: []`) when `stream_options.include_usage` is set. */
export const openAIUsageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative().nullish(),
  /** Output tokens, reasoning tokens included. */
  completion_tokens: z.number().int().nonnegative().nullish(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().int().nonnegative().nullish() }).nullish(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().int().nonnegative().nullish() }).nullish(),
});
export type OpenAIUsage = z.infer<typeof openAIUsageSchema>;

/** One `data:` frame of a streamed `POST /chat/completions` (an `{error}` frame never reaches this: the SDK throws). */
export const openAIChunkSchema = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().int().nonnegative().nullish(),
        delta: z
          .object({
            content: z.string().nullish(),
            /** A refusal (OpenAI's structured refusals): shown to the user as text. */
            refusal: z.string().nullish(),
            /** Reasoning, DeepSeek and older vLLM style. */
            reasoning_content: z.string().nullish(),
            /** Reasoning, newer vLLM, OpenRouter and Ollama's /v1 style. */
            reasoning: z.string().nullish(),
            tool_calls: z.array(openAIToolCallDeltaSchema).nullish(),
          })
          .nullish(),
        /** `stop`, `length`, `tool_calls`, `content_filter`, `function_call`, or null until the last chunk. */
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: openAIUsageSchema.nullish(),
});
export type OpenAIChunk = z.infer<typeof openAIChunkSchema>;

/** The `error` object of an error body or of an in-stream `{error}` frame. vLLM puts the HTTP status in `code`. */
export const openAIErrorObjectSchema = z.looseObject({
  message: z.unknown().optional(),
  type: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
});
export type OpenAIErrorObject = z.infer<typeof openAIErrorObjectSchema>;

/**
 * The text of a chunk that is a plain text delta and nothing else (one choice, index 0 or none, no
 * finish reason, no usage, no refusal, reasoning or tool calls), else undefined. Nearly every chunk
 * of an answer is one; it is recognized here with a few property reads, and whatever it does not
 * recognize goes through `openAIChunkSchema`, which it never disagrees with: a chunk it accepts
 * parses to one choice whose only field in use is this `content` (fields nothing reads are ignored
 * here as the schema strips them).
 */
export function plainTextDelta(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { choices, usage } = raw as { choices?: unknown; usage?: unknown };
  if (usage != null || !Array.isArray(choices) || choices.length !== 1) return undefined;
  const choice: unknown = choices[0];
  if (typeof choice !== 'object' || choice === null) return undefined;
  const { index, delta, finish_reason } = choice as { index?: unknown; delta?: unknown; finish_reason?: unknown };
  if ((index != null && index !== 0) || finish_reason != null || typeof delta !== 'object' || delta === null) return undefined;
  const { content, refusal, reasoning_content, reasoning, tool_calls } = delta as Record<string, unknown>;
  if (typeof content !== 'string' || refusal != null || reasoning_content != null || reasoning != null || tool_calls != null) return undefined;
  return content;
}
