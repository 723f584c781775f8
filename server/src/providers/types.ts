import type { FinishReason, ReasoningEffort, RunErrorCode, Usage } from '@threadline/shared';

/** A message as every provider adapter receives it, converted from stored history. */
export type ModelMessage =
  | { role: 'user'; content: string }
  | {
      role: 'assistant';
      content: string;
      reasoning?: string;
      /** The provider's signature of `reasoning` (Anthropic thinking blocks), needed to send it back; absent when unknown. */
      reasoningSignature?: string;
      toolCalls?: ModelToolCall[];
    }
  | { role: 'tool'; callId: string; name: string; output: unknown; isError: boolean };

export interface ModelToolCall {
  callId: string;
  name: string;
  input: unknown;
}

/** A tool the model may call: name, description and JSON Schema of its input. */
export interface ModelTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** One model request, provider-neutral. */
export interface ModelRequest {
  system?: string;
  messages: ModelMessage[];
  tools?: ModelTool[];
  /** Aborting closes the provider request. */
  signal: AbortSignal;
  maxOutputTokens?: number;
  temperature?: number;
  /** Ask the model to reason first, this hard (models without reasoning ignore it or refuse it). */
  reasoning?: ReasoningEffort;
  /** Told of each failed request that `resilient()` tries again (logs and metrics see retries here). */
  onRetry?: (retry: { attempt: number; error: ProviderError; retryAfterMs: number | undefined; delayMs: number }) => void;
  /** Told the model the provider says answers (often a dated version of the one asked for), when it says; once. */
  onResponseModel?: (model: string) => void;
}

/** What a model streams back, keyed on `type`. A stream ends with exactly one `finish`. */
export type ModelPart =
  | { type: 'text-delta'; delta: string }
  | { type: 'reasoning-delta'; delta: string }
  /** The signature of the reasoning just streamed (Anthropic thinking): it must go back with it in a tool loop. */
  | { type: 'reasoning-signature'; signature: string }
  | { type: 'tool-call'; callId: string; name: string; input: unknown }
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; finishReason: FinishReason };

/** The provider-neutral model interface every adapter implements. */
export interface ChatModel {
  /** `provider/model`. */
  readonly id: string;
  /**
   * Streams one answer. Failures are thrown as ProviderError (before or during the stream); a
   * stream that ends without `finish` is itself an error and adapters must throw instead.
   */
  stream(request: ModelRequest): AsyncIterable<ModelPart>;
}

/** A provider error already mapped to Threadline's codes. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code: RunErrorCode;
  readonly retryable: boolean;
  readonly statusCode: number | undefined;
  /** How long the provider asked us to wait before retrying (retry-after), if it said. */
  readonly retryAfterMs: number | undefined;
  constructor(options: {
    code: RunErrorCode;
    message: string;
    retryable: boolean;
    statusCode?: number;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    super(options.message, { cause: options.cause });
    this.code = options.code;
    this.retryable = options.retryable;
    this.statusCode = options.statusCode;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A configured provider: makes models and lists what it offers. */
export interface Provider {
  /** `openai`, `anthropic`, `ollama`, `local`. */
  readonly name: string;
  /** Where its requests go, for system.info (never a key). */
  readonly baseUrl: string | null;
  model(modelName: string): ChatModel;
  listModels(signal?: AbortSignal): Promise<string[]>;
}
