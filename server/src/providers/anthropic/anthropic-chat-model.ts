import type Anthropic from '@anthropic-ai/sdk';
import type { Usage } from '@threadline/shared';
import { z } from 'zod';
import { ProviderError, type ChatModel, type ModelPart, type ModelRequest } from '../types.js';
import { anthropicStreamEventSchema, isKnownAnthropicEvent, type AnthropicUsage } from './anthropic-api.js';
import { convertToAnthropicMessages } from './convert-to-anthropic-messages.js';
import { mapAnthropicError } from './map-anthropic-error.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';
import { prepareAnthropicTools } from './prepare-anthropic-tools.js';
import { DEFAULT_MAX_OUTPUT_TOKENS, THINKING_BUDGET_TOKENS } from './anthropic-limits.js';

/** What the model needs from its provider. */
export interface AnthropicChatModelOptions {
  /** The SDK client, built with `maxRetries: 0`: retries happen in resilient() only. */
  client: Anthropic;
  /** The API key and the base URL's credentials, cut out of every error message. */
  secrets: readonly string[];
}

/**
 * One Anthropic model over the Messages API's stream. Text and thinking deltas pass through as they
 * come; a tool call's partial JSON is assembled per block and becomes one `tool-call` part at its
 * `content_block_stop`; usage and `finish` come at `message_stop`, without which the stream is a
 * failure.
 */
export class AnthropicChatModel implements ChatModel {
  readonly id: string;

  constructor(
    private readonly modelName: string,
    private readonly options: AnthropicChatModelOptions,
  ) {
    this.id = `anthropic/${modelName}`;
  }

  async *stream(request: ModelRequest): AsyncIterable<ModelPart> {
    try {
      const { system, messages } = convertToAnthropicMessages(request.system, request.messages);
      const tools = prepareAnthropicTools(request.tools);
      const budget = request.reasoning ? THINKING_BUDGET_TOKENS[request.reasoning] : undefined;
      const maxTokens = request.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
      const events = await this.options.client.messages.create(
        {
          model: this.modelName,
          // Thinking counts against max_tokens, which must exceed its budget: the answer keeps its own room.
          max_tokens: budget === undefined ? maxTokens : budget + maxTokens,
          messages,
          ...(system ? { system } : {}),
          ...(tools ? { tools } : {}),
          ...(budget !== undefined ? { thinking: { type: 'enabled' as const, budget_tokens: budget } } : {}),
          // The API refuses a temperature with thinking on.
          ...(request.temperature !== undefined && budget === undefined ? { temperature: request.temperature } : {}),
          stream: true,
        },
        { signal: request.signal },
      );
      yield* this.parts(events, request.signal, request.onResponseModel);
    } catch (error) {
      // An abort is the caller's doing: it goes back as it is, never as a provider failure.
      if (request.signal.aborted) throw error;
      throw mapAnthropicError(error, { label: this.id, secrets: this.options.secrets });
    }
  }

  private async *parts(events: AsyncIterable<unknown>, signal: AbortSignal, onResponseModel?: (model: string) => void): AsyncIterable<ModelPart> {
    /** Tool-use blocks being streamed, by content block index: their partial JSON so far. */
    const toolBlocks = new Map<number, { callId: string; name: string; json: string; initialInput: unknown }>();
    let usage: AnthropicUsage = {};
    let stopReason: string | null | undefined;

    for await (const raw of events) {
      if (!isKnownAnthropicEvent(raw)) continue;
      const parsed = anthropicStreamEventSchema.safeParse(raw);
      if (!parsed.success) throw this.protocolError(`unexpected ${(raw as { type: string }).type} event: ${z.prettifyError(parsed.error)}`);
      const event = parsed.data;
      switch (event.type) {
        case 'message_start': {
          usage = event.message.usage;
          const model = (raw as { message?: { model?: unknown } }).message?.model;
          if (typeof model === 'string') onResponseModel?.(model);
          break;
        }
        case 'content_block_start': {
          const block = event.content_block;
          if (block.type === 'text' && typeof block.text === 'string' && block.text) yield { type: 'text-delta', delta: block.text };
          if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking) {
            yield { type: 'reasoning-delta', delta: block.thinking };
          }
          if (block.type === 'thinking' && typeof block.signature === 'string' && block.signature) yield { type: 'reasoning-signature', signature: block.signature };
          if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
            toolBlocks.set(event.index, { callId: block.id, name: block.name, json: '', initialInput: block.input });
          }
          break;
        }
        case 'content_block_delta': {
          const delta = event.delta;
          if (delta.type === 'text_delta' && typeof delta.text === 'string') yield { type: 'text-delta', delta: delta.text };
          else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string') yield { type: 'reasoning-delta', delta: delta.thinking };
          else if (delta.type === 'signature_delta' && typeof delta.signature === 'string') yield { type: 'reasoning-signature', signature: delta.signature };
          else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
            const block = toolBlocks.get(event.index);
            if (!block) throw this.protocolError(`input_json_delta for block ${event.index}, which is not a tool_use block`);
            block.json += delta.partial_json;
          }
          break;
        }
        case 'content_block_stop': {
          const block = toolBlocks.get(event.index);
          if (!block) break;
          toolBlocks.delete(event.index);
          yield { type: 'tool-call', callId: block.callId, name: block.name, input: this.toolInput(block) };
          break;
        }
        case 'message_delta':
          stopReason = event.delta.stop_reason;
          usage = mergeUsage(usage, event.usage);
          break;
        case 'message_stop':
          yield { type: 'usage', usage: toUsage(usage) };
          yield { type: 'finish', finishReason: mapAnthropicFinishReason(stopReason) };
          return;
      }
    }
    // The SDK ends quietly when its request is aborted: that is an abort, not a broken stream.
    signal.throwIfAborted();
    throw this.protocolError('the stream ended without message_stop');
  }

  private toolInput(block: { name: string; json: string; initialInput: unknown }): unknown {
    if (block.json.trim() === '') return block.initialInput ?? {};
    try {
      return JSON.parse(block.json);
    } catch {
      throw this.protocolError(`the input of tool call ${block.name} is not valid JSON: ${block.json.slice(0, 200)}`);
    }
  }

  private protocolError(detail: string): ProviderError {
    return new ProviderError({ code: 'provider_protocol', message: `${this.id}: ${detail}`, retryable: true });
  }
}

/** `message_delta` usage is cumulative: a number it carries replaces the one from `message_start`. */
function mergeUsage(usage: AnthropicUsage, update: AnthropicUsage | null | undefined): AnthropicUsage {
  const merged = { ...usage };
  for (const [key, value] of Object.entries(update ?? {})) {
    if (typeof value === 'number') merged[key as keyof AnthropicUsage] = value;
  }
  return merged;
}

/**
 * Anthropic counts cache reads and writes apart from `input_tokens`; Threadline's `inputTokens` is
 * the whole prompt, of which `cachedInputTokens` came from the cache and `cacheWriteInputTokens` were written to it.
 */
function toUsage(usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens;
  const cacheWrite = usage.cache_creation_input_tokens;
  return {
    inputTokens: (usage.input_tokens ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0),
    outputTokens: usage.output_tokens ?? 0,
    ...(typeof cacheRead === 'number' ? { cachedInputTokens: cacheRead } : {}),
    ...(typeof cacheWrite === 'number' && cacheWrite > 0 ? { cacheWriteInputTokens: cacheWrite } : {}),
  };
}
