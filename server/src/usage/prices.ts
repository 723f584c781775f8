import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { z } from 'zod';
import type { Usage } from '@threadline/shared';

/** What a model costs, in USD per million tokens of each kind. */
export const ModelPrice = z.strictObject({
  /** Input tokens not served from or written to the prompt cache. */
  input: z.number().min(0),
  output: z.number().min(0),
  /** Input tokens read from the prompt cache (default: `input`). */
  cachedInput: z.number().min(0).optional(),
  /** Input tokens written to the prompt cache (default: `input`). */
  cacheWrite: z.number().min(0).optional(),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

/** A prices file: `models` maps a `provider/model` id, or a pattern with `*`, to its price. */
export const PricesFile = z.strictObject({ models: z.record(z.string().min(1), ModelPrice) });

const free: ModelPrice = { input: 0, output: 0 };

/**
 * Built-in list prices (USD per million tokens) of the known models, as published by OpenAI and
 * Anthropic; a `*` matches any text, and the longest matching pattern wins. The built-in and local
 * models are free; so is Ollama (it runs on your own hardware). THREADLINE_PRICES_FILE overrides
 * or adds entries; a model that matches nothing costs 0 and is logged once.
 */
export const DEFAULT_PRICES: Record<string, ModelPrice> = {
  'local/*': free,
  'ollama/*': free,
  'openai/gpt-4o*': { input: 2.5, cachedInput: 1.25, output: 10 },
  'openai/gpt-4o-mini*': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'openai/gpt-4.1*': { input: 2, cachedInput: 0.5, output: 8 },
  'openai/gpt-4.1-mini*': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'openai/gpt-4.1-nano*': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'openai/o3*': { input: 2, cachedInput: 0.5, output: 8 },
  'openai/o4-mini*': { input: 1.1, cachedInput: 0.275, output: 4.4 },
  'openai/gpt-5*': { input: 1.25, cachedInput: 0.125, output: 10 },
  'openai/gpt-5*-mini*': { input: 0.25, cachedInput: 0.025, output: 2 },
  'openai/gpt-5*-nano*': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'anthropic/claude-opus-4*': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
  'anthropic/claude-opus-4-5*': { input: 5, cachedInput: 0.5, cacheWrite: 6.25, output: 25 },
  'anthropic/claude-sonnet-*': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
  'anthropic/claude-3-7-sonnet*': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
  'anthropic/claude-haiku-4*': { input: 1, cachedInput: 0.1, cacheWrite: 1.25, output: 5 },
  'anthropic/claude-3-5-haiku*': { input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
};

/** Prices by model, looked up exactly first, then by the longest matching pattern. */
export class PriceTable {
  private readonly exact = new Map<string, ModelPrice>();
  private readonly patterns: { pattern: string; test: RegExp; price: ModelPrice }[] = [];
  private readonly unpriced = new Set<string>();

  constructor(
    entries: Record<string, ModelPrice>,
    private readonly onUnpriced: (model: string) => void = () => {},
  ) {
    for (const [key, price] of Object.entries(entries)) {
      if (!key.includes('*')) this.exact.set(key, price);
      else this.patterns.push({ pattern: key, test: patternOf(key), price });
    }
    this.patterns.sort((a, b) => b.pattern.length - a.pattern.length);
  }

  /** The model's price, or undefined when no entry matches. */
  priceOf(model: string): ModelPrice | undefined {
    return this.exact.get(model) ?? this.patterns.find((entry) => entry.test.test(model))?.price;
  }

  /** What `usage` of `model` costs, USD (0 for a model without a price). */
  costOf(model: string, usage: Usage): number {
    const price = this.priceOf(model);
    if (!price) {
      if (!this.unpriced.has(model)) {
        this.unpriced.add(model);
        this.onUnpriced(model);
      }
      return 0;
    }
    const cachedRead = usage.cachedInputTokens ?? 0;
    const cacheWrite = usage.cacheWriteInputTokens ?? 0;
    const plainInput = Math.max(0, usage.inputTokens - cachedRead - cacheWrite);
    const perMillion = plainInput * price.input + cachedRead * (price.cachedInput ?? price.input) + cacheWrite * (price.cacheWrite ?? price.input) + usage.outputTokens * price.output;
    return perMillion / 1_000_000;
  }

  /** Cost of one more output token of `model`, USD: what a streaming answer is estimated at before its usage arrives. */
  outputPriceOf(model: string): number {
    return (this.priceOf(model)?.output ?? 0) / 1_000_000;
  }
}

function patternOf(key: string): RegExp {
  const escaped = key.split('*').map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/** The built-in prices, with a prices file's entries over them (JSON, or YAML by its extension); throws saying what is wrong. */
export async function loadPrices(file: string | undefined, onUnpriced?: (model: string) => void): Promise<PriceTable> {
  if (!file) return new PriceTable(DEFAULT_PRICES, onUnpriced);
  let parsed: unknown;
  try {
    const text = await readFile(file, 'utf8');
    // YAML's parser is loaded only for a YAML file (a server without one does not keep it in memory).
    parsed = ['.yaml', '.yml'].includes(extname(file).toLowerCase()) ? (await import('yaml')).parse(text) : JSON.parse(text);
  } catch (error) {
    throw new Error(`prices file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const result = PricesFile.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new Error(`prices file ${file}: ${problems.join('; ')}`);
  }
  return new PriceTable({ ...DEFAULT_PRICES, ...result.data.models }, onUnpriced);
}
