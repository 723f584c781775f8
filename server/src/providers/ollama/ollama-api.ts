import { z } from 'zod';

/**
 * Ollama's own wire shapes, as far as Threadline reads them. The `ollama` package only casts JSON to
 * its TypeScript types, so every line of a chat stream and the model list are checked here.
 * Unknown fields pass through: newer Ollama versions add fields, which must not break us.
 */

/** One tool call as Ollama sends it: whole, with `arguments` already an object, and usually no id. */
export const ollamaToolCallSchema = z.object({
  /** Newer Ollama versions may send an id; older ones never do. */
  id: z.string().optional(),
  function: z.object({
    name: z.string(),
    arguments: z.record(z.string(), z.unknown()),
  }),
});

/** One NDJSON line of a streamed `POST /api/chat` answer (an `{error}` line never reaches this). */
export const ollamaChatChunkSchema = z.object({
  model: z.string().optional(),
  message: z
    .object({
      role: z.string().optional(),
      content: z.string().optional(),
      /** Reasoning of thinking models (when `think` is on, or the model thinks by default). */
      thinking: z.string().optional(),
      tool_calls: z.array(ollamaToolCallSchema).optional(),
    })
    .optional(),
  done: z.boolean(),
  /** On the last line: `stop`, `length`, `load`, `unload`... */
  done_reason: z.string().optional(),
  /** Input tokens (omitted by Ollama when zero). */
  prompt_eval_count: z.number().int().nonnegative().optional(),
  /** Output tokens, reasoning included (omitted when zero). */
  eval_count: z.number().int().nonnegative().optional(),
});
export type OllamaChatChunk = z.infer<typeof ollamaChatChunkSchema>;

/** `GET /api/tags`: the models pulled on the server. */
export const ollamaTagsResponseSchema = z.object({
  models: z.array(z.object({ name: z.string(), model: z.string().optional() })),
});

/** A line or body that reports an error: `{"error": "..."}`. */
export const ollamaErrorSchema = z.object({ error: z.string() });
