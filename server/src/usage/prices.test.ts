import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES, loadPrices, PriceTable } from './prices.js';

describe('prices', () => {
  it('the longest matching pattern wins; exact ids first; local and ollama are free; an unknown model costs 0 and is reported once', () => {
    const unpriced: string[] = [];
    const table = new PriceTable({ ...DEFAULT_PRICES, 'openai/gpt-4o-mini-special': { input: 9, output: 9 } }, (model) => unpriced.push(model));
    expect(table.priceOf('openai/gpt-4o-2024-08-06')).toEqual(DEFAULT_PRICES['openai/gpt-4o*']);
    expect(table.priceOf('openai/gpt-4o-mini')).toEqual(DEFAULT_PRICES['openai/gpt-4o-mini*']);
    expect(table.priceOf('openai/gpt-5.4-mini')).toEqual(DEFAULT_PRICES['openai/gpt-5*-mini*']);
    expect(table.priceOf('openai/gpt-4o-mini-special')).toEqual({ input: 9, output: 9 });
    expect(table.priceOf('anthropic/claude-opus-4-5-20251101')).toEqual(DEFAULT_PRICES['anthropic/claude-opus-4-5*']);
    expect(table.costOf('local/echo', { inputTokens: 1e6, outputTokens: 1e6 })).toBe(0);
    expect(table.costOf('ollama/llama3.2', { inputTokens: 1e6, outputTokens: 1e6 })).toBe(0);
    expect(table.costOf('mystery/model', { inputTokens: 5, outputTokens: 5 })).toBe(0);
    expect(table.costOf('mystery/model', { inputTokens: 5, outputTokens: 5 })).toBe(0);
    expect(unpriced).toEqual(['mystery/model']);
  });

  it('cached reads and cache writes are priced apart from the rest of the input', () => {
    const table = new PriceTable({ 'x/y': { input: 2, cachedInput: 1, cacheWrite: 4, output: 10 }, 'x/z': { input: 2, output: 10 } });
    const usage = { inputTokens: 1_000_000, cachedInputTokens: 300_000, cacheWriteInputTokens: 200_000, outputTokens: 100_000 };
    expect(table.costOf('x/y', usage)).toBeCloseTo(0.5 * 2 + 0.3 * 1 + 0.2 * 4 + 0.1 * 10, 10);
    // Without prices of their own, cached tokens cost as input.
    expect(table.costOf('x/z', usage)).toBeCloseTo(1 * 2 + 0.1 * 10, 10);
  });

  it('a prices file (JSON or YAML) adds and overrides entries; a bad one says what is wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'threadline-prices-'));
    await using _cleanup = { [Symbol.asyncDispose]: () => rm(dir, { recursive: true, force: true }) };
    await writeFile(join(dir, 'prices.json'), JSON.stringify({ models: { 'local/*': { input: 1, output: 1 }, 'acme/*': { input: 3, output: 4 } } }));
    const fromJson = await loadPrices(join(dir, 'prices.json'));
    expect(fromJson.priceOf('local/echo')).toEqual({ input: 1, output: 1 });
    expect(fromJson.priceOf('acme/rocket')).toEqual({ input: 3, output: 4 });
    expect(fromJson.priceOf('openai/gpt-4o')).toEqual(DEFAULT_PRICES['openai/gpt-4o*']);
    await writeFile(join(dir, 'bad.yaml'), 'models:\n  acme/rocket: { input: -1, output: 2, extra: 1 }\n');
    await expect(loadPrices(join(dir, 'bad.yaml'))).rejects.toThrow(/bad\.yaml: models\.acme\/rocket/);
    await expect(loadPrices(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json/);
  });
});
