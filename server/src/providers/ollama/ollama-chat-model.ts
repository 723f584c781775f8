import { randomBytes } from 'node:crypto';
import type { ChatRequest } from 'ollama';
import { ProviderError, type ChatModel, type ModelPart, type ModelRequest } from '../types.js';
import { convertToOllamaMessages, convertToOllamaTools } from './convert-to-ollama-messages.js';
import { mapOllamaError } from './map-ollama-error.js';
import { mapOllamaFinishReason } from './map-ollama-finish-reason.js';
import { ollamaChatChunkSchema, type OllamaChatChunk } from './ollama-api.js';
import { createOllamaClient, type OllamaConnection, type OllamaExchange } from './ollama-client.js';

/**
 * A model served by Ollama, streamed from native `POST /api/chat` (NDJSON) through the official
 * `ollama` package. `message.thinking` → reasoning, `message.content` → text, whole tool calls →
 * tool-call parts with generated ids, the `done: true` line → usage and finish.
 */
export class OllamaChatModel implements ChatModel {
  readonly id: string;

  constructor(
    private readonly modelName: string,
    private readonly connection: OllamaConnection,
  ) {
    this.id = `ollama/${modelName}`;
  }

  async *stream(request: ModelRequest): AsyncIterable<ModelPart> {
    // Closes this request's socket when the caller stops reading early, not only on abort.
    const local = new AbortController();
    const exchange: OllamaExchange = {};
    const client = createOllamaClient(this.connection, AbortSignal.any([request.signal, local.signal]), exchange);
    try {
      const stream = await client.chat({ ...this.toChatRequest(request), stream: true });
      let toolCalls = 0;
      for await (const line of stream) {
        const chunk = this.parse(line);
        const message = chunk.message;
        if (message?.thinking) yield { type: 'reasoning-delta', delta: message.thinking };
        if (message?.content) yield { type: 'text-delta', delta: message.content };
        for (const call of message?.tool_calls ?? []) {
          yield { type: 'tool-call', callId: call.id ?? newCallId(toolCalls), name: call.function.name, input: call.function.arguments };
          toolCalls++;
        }
        if (chunk.done) {
          yield { type: 'usage', usage: { inputTokens: chunk.prompt_eval_count ?? 0, outputTokens: chunk.eval_count ?? 0 } };
          if (chunk.model) request.onResponseModel?.(chunk.model);
          yield { type: 'finish', finishReason: mapOllamaFinishReason(chunk.done_reason, toolCalls > 0) };
          return;
        }
      }
      // The package throws on a stream without `done: true`; should it ever stop doing so, still fail.
      throw new ProviderError({ code: 'provider_protocol', message: `${this.id}: the stream ended without \`done: true\``, retryable: true });
    } catch (error) {
      if (request.signal.aborted) throw error;
      throw mapOllamaError(error, { label: this.id, exchange, secrets: this.connection.secrets });
    } finally {
      local.abort();
    }
  }

  private toChatRequest(request: ModelRequest): ChatRequest {
    const options: NonNullable<ChatRequest['options']> = {};
    if (request.temperature !== undefined) options.temperature = request.temperature;
    if (request.maxOutputTokens !== undefined) options.num_predict = request.maxOutputTokens;
    return {
      model: this.modelName,
      messages: convertToOllamaMessages(request.system, request.messages),
      ...(request.tools?.length ? { tools: convertToOllamaTools(request.tools) } : {}),
      ...(request.reasoning ? { think: request.reasoning } : {}),
      ...(Object.keys(options).length > 0 ? { options } : {}),
    };
  }

  private parse(line: unknown): OllamaChatChunk {
    const parsed = ollamaChatChunkSchema.safeParse(line);
    if (parsed.success) return parsed.data;
    throw new ProviderError({
      code: 'provider_protocol',
      message: `${this.id}: unexpected line in the stream: ${JSON.stringify(line).slice(0, 200)}`,
      retryable: true,
      cause: parsed.error,
    });
  }
}

/** Ollama's tool calls carry no id: `call_<index>_<random>` is unique and stable once stored. */
function newCallId(index: number): string {
  return `call_${index}_${randomBytes(6).toString('hex')}`;
}
