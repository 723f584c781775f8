import { z } from 'zod';

/**
 * Zod schemas of the Anthropic Messages stream events this adapter reads. The SDK parses each
 * frame's JSON; these check the shape before we trust it. Objects are loose: Anthropic adds fields.
 */

/** Token counts in `message_start` (all of them) and `message_delta` (cumulative, any may be null). */
export const anthropicUsageSchema = z.looseObject({
  input_tokens: z.number().int().nonnegative().nullish(),
  output_tokens: z.number().int().nonnegative().nullish(),
  cache_read_input_tokens: z.number().int().nonnegative().nullish(),
  cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
});
/** Anthropic's token counts, as parsed. */
export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

const knownBlockTypes = ['text', 'thinking', 'tool_use'];

/** The block a `content_block_start` opens; other kinds (redacted thinking, server tools) pass as `type` only. */
const contentBlockSchema = z.union([
  z.looseObject({ type: z.literal('text'), text: z.string() }),
  z.looseObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().optional() }),
  z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
  z.looseObject({ type: z.string().refine((type) => !knownBlockTypes.includes(type)) }),
]);

const knownDeltaTypes = ['text_delta', 'thinking_delta', 'signature_delta', 'input_json_delta'];

/** One `content_block_delta`'s payload; other kinds (citations) pass as `type` only. */
const contentDeltaSchema = z.union([
  z.looseObject({ type: z.literal('text_delta'), text: z.string() }),
  z.looseObject({ type: z.literal('thinking_delta'), thinking: z.string() }),
  z.looseObject({ type: z.literal('signature_delta'), signature: z.string() }),
  z.looseObject({ type: z.literal('input_json_delta'), partial_json: z.string() }),
  z.looseObject({ type: z.string().refine((type) => !knownDeltaTypes.includes(type)) }),
]);

/** The stream events the adapter acts on. `ping` and `error` frames never get here: the SDK handles them. */
export const anthropicStreamEventSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('message_start'), message: z.looseObject({ usage: anthropicUsageSchema }) }),
  z.looseObject({ type: z.literal('content_block_start'), index: z.number().int(), content_block: contentBlockSchema }),
  z.looseObject({ type: z.literal('content_block_delta'), index: z.number().int(), delta: contentDeltaSchema }),
  z.looseObject({ type: z.literal('content_block_stop'), index: z.number().int() }),
  z.looseObject({
    type: z.literal('message_delta'),
    delta: z.looseObject({ stop_reason: z.string().nullish() }),
    usage: anthropicUsageSchema.nullish(),
  }),
  z.looseObject({ type: z.literal('message_stop') }),
]);
/** One parsed stream event. */
export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEventSchema>;

const knownEventTypes = new Set(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);

/** True for the event types above; Anthropic may add others, which the adapter skips. */
export function isKnownAnthropicEvent(event: unknown): boolean {
  const type = (event as { type?: unknown } | null)?.type;
  return typeof type === 'string' && knownEventTypes.has(type);
}
