import { z } from 'zod';

/**
 * The part of OpenAI's Chat Completions request Threadline reads, in Zod. Objects are loose: clients
 * send fields this server does not use (temperature, user, metadata…), which are ignored.
 */

/** `content` of a message: a string, or text parts (other part types are refused: no images here). */
const MessageContent = z.union([
  z.string(),
  z.array(
    z.looseObject({
      type: z.string(),
      text: z.string().optional(),
    }),
  ),
  z.null(),
]);

const ToolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

/** One message of the request's conversation. */
export const OpenAIMessage = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: MessageContent }),
  z.looseObject({ role: z.literal('developer'), content: MessageContent }),
  z.looseObject({ role: z.literal('user'), content: MessageContent }),
  z.looseObject({ role: z.literal('assistant'), content: MessageContent.optional(), tool_calls: z.array(ToolCall).nullish() }),
  z.looseObject({ role: z.literal('tool'), content: MessageContent, tool_call_id: z.string() }),
]);
export type OpenAIMessage = z.infer<typeof OpenAIMessage>;

/** `POST /v1/chat/completions`. */
export const ChatCompletionRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(OpenAIMessage).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  /** Only one choice is ever made. */
  n: z.literal(1).nullish(),
  /** The client's own tools: the model may call them; the calls come back to the client (`tool_calls`). */
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function'),
        function: z.looseObject({
          name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a tool name is 1-64 letters, digits, _ or -'),
          description: z.string().optional(),
          parameters: z.record(z.string(), z.unknown()).optional(),
        }),
      }),
    )
    .max(128)
    .nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** OpenAI's `usage` object. */
export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/** OpenAI's error body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}
