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
    const pacer = new Pacer(request.signal, delayMs);
    try {
      if (script.think) {
        const thoughts = script.think.split(/\s+/).filter(Boolean);
        for (const [index, word] of thoughts.entries()) {
          await pacer.before(index);
          reasoningTokens++;
          yield { type: 'reasoning-delta', delta: index === 0 ? word : ` ${word}` };
        }
      }

      if (script.tool && last?.role === 'user') {
        await pacer.before(0);
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
        await pacer.before(index);
        outputTokens++;
        yield { type: 'text-delta', delta: index === 0 ? word : ` ${word}` };
      }
      yield { type: 'usage', usage: usage(inputTokens, outputTokens, reasoningTokens) };
      yield { type: 'finish', finishReason: 'stop' };
    } finally {
      pacer.close();
    }
  }
}

/**
 * The pauses of one answer: before each word, `delayMs` (with no delay, a turn of the event loop
 * every 64 words). One abort listener for the whole answer: a promise-returning timer given the
 * signal added and removed a listener and made several promises per word, all of it kept from one
 * word to the next by a slow answer.
 */
class Pacer {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private wake: (() => void) | undefined;
  private readonly onAbort = () => {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.wake?.();
  };

  constructor(
    private readonly signal: AbortSignal,
    private readonly delayMs: number,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Waits before word `index`; rejects with the signal's reason once it aborts. */
  before(index: number): Promise<void> | void {
    this.signal.throwIfAborted();
    if (this.delayMs <= 0 && index % 64 !== 63) return;
    return new Promise<void>((resolve, reject) => {
      this.wake = () => (this.signal.aborted ? reject(this.signal.reason) : resolve());
      if (this.delayMs > 0) this.timer = setTimeout(this.wake, this.delayMs);
      else this.immediate = setImmediate(this.wake);
    });
  }

  close(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.wake = undefined;
    this.signal.removeEventListener('abort', this.onAbort);
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
