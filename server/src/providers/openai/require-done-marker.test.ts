import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startFakeServer } from '../../../../test/fakes/fake-server.js';
import { collectParts, providerFor } from './openai-test-helpers.js';

const chunk = (delta: unknown, finish: string | null = null) =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** A server that writes `pieces` one by one, each flushed separately, then ends the response. */
function writesInPieces(pieces: string[]) {
  return async (_request: unknown, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const piece of pieces) {
      response.write(piece);
      await sleep(5);
    }
    response.end();
  };
}

describe('the [DONE] requirement', () => {
  it('accepts a [DONE] split across network chunks, with CRLF line ends', async () => {
    const ending = `${chunk({ content: 'ok' }, 'stop')}`.replaceAll('\n', '\r\n');
    await using fake = await startFakeServer(writesInPieces([ending, 'data: [DO', 'NE]\r', '\n\r\n']));
    const { parts, error } = await collectParts(providerFor(fake.url).model('m'));
    expect(error).toBeUndefined();
    expect(parts).toEqual([
      { type: 'text-delta', delta: 'ok' },
      { type: 'finish', finishReason: 'stop' },
    ]);
  });

  it('finds a [DONE] sent a byte at a time after a chunk longer than the bytes it keeps', async () => {
    const long = 'x'.repeat(600);
    await using fake = await startFakeServer(writesInPieces([chunk({ content: long }, 'stop'), ...'data: [DONE]\n\n'.split('')]));
    const { error, text } = await collectParts(providerFor(fake.url).model('m'));
    expect(error).toBeUndefined();
    expect(text).toBe(long);
  });

  it('accepts a final [DONE] without a trailing newline', async () => {
    await using fake = await startFakeServer(writesInPieces([chunk({ content: 'ok' }, 'stop'), 'data:[DONE]']));
    expect((await collectParts(providerFor(fake.url).model('m'))).error).toBeUndefined();
  });

  it('is not fooled by "data: [DONE]" inside a chunk', async () => {
    await using fake = await startFakeServer(writesInPieces([chunk({ content: '\ndata: [DONE]\n' }, 'stop')]));
    const { error, text } = await collectParts(providerFor(fake.url).model('m'));
    expect(text).toBe('\ndata: [DONE]\n');
    expect(error).toMatchObject({ code: 'provider_protocol' });
  });
});
