import type OpenAI from 'openai';
import { z } from 'zod';
import type { Usage } from '@threadline/shared';
import { ProviderError, type ChatModel, type ModelPart, type ModelRequest } from '../types.js';
import { OpenAIToolCallAssembler } from './assemble-openai-tool-calls.js';
import { convertToOpenAIMessages, convertToOpenAITools } from './convert-to-openai-messages.js';
import { mapOpenAIError } from './map-openai-error.js';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import { mapOpenAIUsage } from './map-openai-usage.js';
import { openAIChunkSchema, plainTextDelta } from './openai-api.js';

/** What an OpenAI chat model needs. */
export interface OpenAIChatModelOptions {
  /** The SDK client, configured with `maxRetries: 0` and a fetch that requires `[DONE]`. */
  client: OpenAI;
  /** The model name as the server knows it (`gpt-4.1-mini`, `meta-llama/Llama-3.1-8B-Instruct`). */
  modelName: string;
  /** The API key and the base URL's credentials: only to keep them out of error messages. */
  secrets: readonly string[];
  /**
   * Send the output limit as `max_completion_tokens` (OpenAI itself; its reasoning models reject
   * `max_tokens`) rather than `max_tokens` (what every compatible server understands).
   */
  useMaxCompletionTokens: boolean;
}

/**
 * One model over Chat Completions streaming. Parts come in this order: reasoning and text deltas as
 * they arrive, then the assembled tool calls, usage and finish once the stream has ended with its
 * `[DONE]`. A stream without `[DONE]` or without a `finish_reason` throws `provider_protocol`.
 */
export class OpenAIChatModel implements ChatModel {
  readonly id: string;

  constructor(private readonly options: OpenAIChatModelOptions) {
    this.id = `openai/${options.modelName}`;
  }

  /** One generator from the SDK's chunks to parts (a `yield*` into a second one was a step more per token). */
  async *stream(request: ModelRequest): AsyncIterable<ModelPart> {
    try {
      const stream = await this.options.client.chat.completions.create(this.requestBody(request), { signal: request.signal });
      const toolCalls = new OpenAIToolCallAssembler();
      let finishReason: string | undefined;
      let usage: Usage | undefined;
      let responseModel: string | undefined;
      for await (const raw of stream) {
        // Read from the raw chunk, once: the schema leaves `model` out (see openai-api.ts).
        if (responseModel === undefined) {
          responseModel = stringField(raw, 'model') ?? '';
          if (responseModel) request.onResponseModel?.(responseModel);
        }
        // Most chunks are a word of text: read without the schema (see plainTextDelta).
        const text = plainTextDelta(raw);
        if (text !== undefined) {
          if (text) yield { type: 'text-delta', delta: text };
          continue;
        }
        const parsed = openAIChunkSchema.safeParse(raw);
        if (!parsed.success) throw this.protocolError(`unexpected chunk: ${z.prettifyError(parsed.error)}`);
        const chunk = parsed.data;
        // The final chunk (`choices: []`) carries usage; some servers also send it on other chunks.
        if (chunk.usage) usage = mapOpenAIUsage(chunk.usage);
        for (const choice of chunk.choices ?? []) {
          if ((choice.index ?? 0) !== 0) continue;
          const delta = choice.delta;
          // vLLM sent both fields with the same text for a while: read one.
          const reasoning = delta?.reasoning_content ?? delta?.reasoning;
          if (reasoning) yield { type: 'reasoning-delta', delta: reasoning };
          if (delta?.content) yield { type: 'text-delta', delta: delta.content };
          if (delta?.refusal) yield { type: 'text-delta', delta: delta.refusal };
          if (delta?.tool_calls) toolCalls.add(delta.tool_calls);
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
      }
      // The SDK ends its iterator quietly when the request is aborted mid-stream.
      request.signal.throwIfAborted();
      if (finishReason === undefined) throw this.protocolError('the stream ended without a finish_reason');
      yield* toolCalls.finish();
      if (usage) yield { type: 'usage', usage };
      yield { type: 'finish', finishReason: mapOpenAIFinishReason(finishReason) };
    } catch (error) {
      // The SDK turns an abort into APIUserAbortError (before the response) or a silent end (after).
      if (request.signal.aborted) throw request.signal.reason;
      throw mapOpenAIError(error, { label: this.id, secrets: this.options.secrets });
    }
  }

  private requestBody(request: ModelRequest): OpenAI.Chat.ChatCompletionCreateParamsStreaming {
    const { maxOutputTokens, temperature, tools, reasoning } = request;
    return {
      model: this.options.modelName,
      messages: convertToOpenAIMessages(request.system, request.messages),
      stream: true,
      stream_options: { include_usage: true },
      ...(tools?.length ? { tools: convertToOpenAITools(tools) } : {}),
      ...(temperature === undefined ? {} : { temperature }),
      ...(reasoning ? { reasoning_effort: reasoning } : {}),
      ...(maxOutputTokens === undefined
        ? {}
        : this.options.useMaxCompletionTokens
          ? { max_completion_tokens: maxOutputTokens }
          : { max_tokens: maxOutputTokens }),
    };
  }

  private protocolError(message: string): ProviderError {
    return new ProviderError({ code: 'provider_protocol', message: `${this.id}: ${message}`, retryable: true });
  }
}

/** A string field of an unparsed chunk, if it has one. */
function stringField(raw: unknown, key: string): string | undefined {
  const value = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}
