import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Usage } from '@threadline/shared';
import { ProviderError, type ChatModel, type ModelMessage, type ModelPart, type ModelRequest } from '../types.js';
import { parseDirectives, type EchoScript } from './directives.js';
import { toolIntent } from './intents.js';

const LOREM =
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua'.split(
    ' ',
  );

/** Options of the built-in model. */
export interface EchoModelOptions {
  /** Delay between words in ms (THREADLINE_LOCAL_DELAY_MS). */
  delayMs: number;
}

/**
 * `local/echo`: offline and deterministic. Streams `Echo: <last user message>` word by word, scripted
 * by directives (see directives.ts); offered tools, it calls the one a message plainly asks for
 * (intents.ts); after a tool result it answers with that result.
 */
export class EchoModel implements ChatModel {
  readonly id = 'local/echo';
  constructor(private readonly options: EchoModelOptions) {}

  async *stream(request: ModelRequest): AsyncIterable<ModelPart> {
    const last = request.messages.at(-1);
    const script = last?.role === 'user' ? parseDirectives(last.content) : { text: '' };
    if (last?.role === 'user' && !script.tool && request.tools?.length) {
      const intent = toolIntent(script.text, new Set(request.tools.map((tool) => tool.name)));
      if (intent) script.tool = intent;
    }
    const delayMs = script.delayMs ?? this.options.delayMs;
    const inputTokens = countInputTokens(request);
    throwIfFailsEarly(script);

    let outputTokens = 0;
    let reasoningTokens = 0;
    const pace = async (index: number) => {
      if (delayMs > 0) await sleep(delayMs, undefined, { signal: request.signal });
      else if (index % 64 === 63) await nextTurn(undefined, { signal: request.signal });
      request.signal.throwIfAborted();
    };

    if (script.think) {
      const thoughts = script.think.split(/\s+/).filter(Boolean);
      for (const [index, word] of thoughts.entries()) {
        await pace(index);
        reasoningTokens++;
        yield { type: 'reasoning-delta', delta: index === 0 ? word : ` ${word}` };
      }
    }

    if (script.tool && last?.role === 'user') {
      await pace(0);
      yield { type: 'tool-call', callId: `call_${Date.now().toString(36)}`, name: script.tool.name, input: script.tool.input };
      yield { type: 'usage', usage: usage(inputTokens, 1, reasoningTokens) };
      yield { type: 'finish', finishReason: 'tool-calls' };
      return;
    }

    const words = replyWords(script, last);
    const failAt = script.fail === 'reset' ? Math.max(1, Math.floor(words.length / 2)) : Infinity;
    for (const [index, word] of words.entries()) {
      if (index === failAt) {
        throw new ProviderError({ code: 'provider_unavailable', message: 'local/echo: connection reset mid-stream (/fail reset)', retryable: true });
      }
      await pace(index);
      outputTokens++;
      yield { type: 'text-delta', delta: index === 0 ? word : ` ${word}` };
    }
    yield { type: 'usage', usage: usage(inputTokens, outputTokens, reasoningTokens) };
    yield { type: 'finish', finishReason: 'stop' };
  }
}

function usage(inputTokens: number, outputTokens: number, reasoningTokens: number): Usage {
  return reasoningTokens > 0 ? { inputTokens, outputTokens, reasoningTokens } : { inputTokens, outputTokens };
}

function replyWords(script: EchoScript, last: ModelMessage | undefined): string[] {
  if (last?.role === 'tool') {
    const verb = last.isError ? 'failed' : 'returned';
    return `Tool ${last.name} ${verb}: ${JSON.stringify(last.output)}`.split(' ');
  }
  if (script.words !== undefined) {
    return Array.from({ length: script.words }, (_, index) => LOREM[index % LOREM.length]!);
  }
  return ['Echo:', ...script.text.split(/\s+/).filter(Boolean)];
}

function throwIfFailsEarly(script: EchoScript): void {
  switch (script.fail) {
    case 'rate_limit':
      throw new ProviderError({ code: 'rate_limited', message: 'local/echo: rate limited (/fail rate_limit)', retryable: true, statusCode: 429 });
    case 'server':
      throw new ProviderError({ code: 'provider_unavailable', message: 'local/echo: server error (/fail server)', retryable: true, statusCode: 500 });
    case 'auth':
      throw new ProviderError({ code: 'provider_auth', message: 'local/echo: invalid API key (/fail auth)', retryable: false, statusCode: 401 });
    default:
  }
}

/** A rough token count: words in the system prompt and every message. */
function countInputTokens(request: ModelRequest): number {
  const count = (text: string) => text.split(/\s+/).filter(Boolean).length;
  let total = request.system ? count(request.system) : 0;
  for (const message of request.messages) {
    total += message.role === 'tool' ? count(JSON.stringify(message.output) ?? '') : count(message.content);
  }
  return total;
}
