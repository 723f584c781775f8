import { describe, expect, it } from 'vitest';
import { resilient } from './resilient-model.js';
import { ProviderError, type ChatModel, type ModelPart, type ModelRequest } from './types.js';

const policy = { maxRetries: 2, initialBackoffMs: 1, maxBackoffMs: 50, idleTimeoutMs: 100 };
const finish: ModelPart = { type: 'finish', finishReason: 'stop' };

/** A model whose attempts follow a script: each attempt yields parts, then maybe throws or hangs. */
function scripted(attempts: { parts?: ModelPart[]; error?: ProviderError; hang?: boolean }[]) {
  const calls: number[] = [];
  const model: ChatModel = {
    id: 'test/scripted',
    async *stream(request: ModelRequest) {
      const attempt = attempts[calls.length] ?? attempts.at(-1)!;
      calls.push(Date.now());
      for (const part of attempt.parts ?? []) yield part;
      if (attempt.error) throw attempt.error;
      if (attempt.hang) {
        await new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
      }
    },
  };
  return { model, calls };
}

async function run(model: ChatModel, signal = new AbortController().signal) {
  const parts: ModelPart[] = [];
  try {
    for await (const part of resilient(model, policy).stream({ messages: [], signal })) parts.push(part);
    return { parts };
  } catch (error) {
    return { parts, error };
  }
}

const rateLimited = (retryAfterMs?: number) =>
  new ProviderError({ code: 'rate_limited', message: '429', retryable: true, statusCode: 429, ...(retryAfterMs ? { retryAfterMs } : {}) });

describe('resilient', () => {
  it('retries a retryable error before the first part, honouring retry-after, then succeeds', async () => {
    const { model, calls } = scripted([{ error: rateLimited(30) }, { parts: [{ type: 'text-delta', delta: 'hi' }, finish] }]);
    const { parts, error } = await run(model);
    expect(error).toBeUndefined();
    expect(parts).toEqual([{ type: 'text-delta', delta: 'hi' }, finish]);
    expect(calls).toHaveLength(2);
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(25);
  });

  it('gives up after maxRetries with the retryable error', async () => {
    const unavailable = new ProviderError({ code: 'provider_unavailable', message: '500', retryable: true });
    const { model, calls } = scripted([{ error: unavailable }]);
    const { error } = await run(model);
    expect(error).toBe(unavailable);
    expect(calls).toHaveLength(3);
  });

  it('never retries a non-retryable error or once a part was streamed', async () => {
    const auth = new ProviderError({ code: 'provider_auth', message: '401', retryable: false });
    const first = scripted([{ error: auth }]);
    expect((await run(first.model)).error).toBe(auth);
    expect(first.calls).toHaveLength(1);

    const reset = new ProviderError({ code: 'provider_unavailable', message: 'reset', retryable: true });
    const second = scripted([{ parts: [{ type: 'text-delta', delta: 'partial' }], error: reset }]);
    const result = await run(second.model);
    expect(result.error).toBe(reset);
    expect(result.parts).toHaveLength(1);
    expect(second.calls).toHaveLength(1);
  });

  it('turns a silent stream into a timeout error and aborts the request', async () => {
    const { model } = scripted([{ parts: [{ type: 'text-delta', delta: 'a' }], hang: true }]);
    const { error, parts } = await run(model);
    expect(parts).toHaveLength(1);
    expect(error).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    const { model, calls } = scripted([{ hang: true }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 20);
    const { error } = await run(model, controller.signal);
    expect(error).toMatchObject({ message: 'cancelled' });
    expect(calls).toHaveLength(1);
  });

  it('after parts arrived: ends with the last part, and stops with the caller\'s reason when it aborts', async () => {
    const done = scripted([{ parts: [{ type: 'text-delta', delta: 'a' }, { type: 'text-delta', delta: 'b' }, finish] }]);
    expect(await run(done.model)).toEqual({ parts: [{ type: 'text-delta', delta: 'a' }, { type: 'text-delta', delta: 'b' }, finish] });

    const { model, calls } = scripted([{ parts: [{ type: 'text-delta', delta: 'a' }], hang: true }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 20);
    const { error, parts } = await run(model, controller.signal);
    expect(parts).toHaveLength(1);
    expect(error).toMatchObject({ message: 'cancelled' });
    expect(calls).toHaveLength(1);
  });
});
