/**
 * How many tokens a model's context window holds (prompt and answer together), by `provider/model`:
 * known model families, overridable per model or per provider (`THREADLINE_CONTEXT_WINDOWS`, an
 * agent's `context.windowTokens`). Undefined means no limit worth keeping (the built-in model).
 */
const KNOWN: [provider: string, pattern: RegExp, tokens: number][] = [
  ['openai', /^gpt-5/, 400_000],
  ['openai', /^gpt-4\.1/, 1_047_576],
  ['openai', /^(gpt-4o|chatgpt-4o|gpt-4-turbo)/, 128_000],
  ['openai', /^gpt-4(-|$)/, 8_192],
  ['openai', /^gpt-3\.5/, 16_385],
  ['openai', /^o\d/, 200_000],
  ['anthropic', /^claude-/, 200_000],
  // Ollama serves every model with its own default num_ctx (4096) unless its server is told otherwise.
  ['ollama', /./, 4_096],
];

/** A model nobody told us about (an OpenAI-compatible server's, say): small enough to be safe. */
export const UNKNOWN_MODEL_CONTEXT_TOKENS = 8_192;

/**
 * About how many more tokens a provider's tokenizer makes of a text than characters / 4 (English
 * prose and code measured against each tokenizer): Claude's vocabulary is smaller than OpenAI's
 * o200k, Llama 3's is close to OpenAI's. Reported usage refines it per model (TokenCalibration).
 */
const TOKENIZER_FACTORS: Record<string, number> = { openai: 1, anthropic: 1.2, ollama: 1.05 };
const UNKNOWN_TOKENIZER_FACTOR = 1.15;

/** The tokens per estimated token of a model's provider (see TOKENIZER_FACTORS). */
export function tokenizerFactor(modelId: string): number {
  return TOKENIZER_FACTORS[providerOf(modelId)] ?? UNKNOWN_TOKENIZER_FACTOR;
}

/** Overrides: exact `provider/model` ids, or `provider/*` for every model of a provider. */
export type ContextWindowOverrides = Map<string, number>;

/**
 * Parses `THREADLINE_CONTEXT_WINDOWS`: `provider/model=tokens` or `provider/*=tokens`, comma-separated.
 * Throws with the offending entry when one is malformed.
 */
export function parseContextWindows(text: string): ContextWindowOverrides {
  const overrides: ContextWindowOverrides = new Map();
  for (const entry of text.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = /^([a-z0-9_-]+\/[^=\s]+)=(\d{3,9})$/i.exec(entry);
    if (!match) throw new Error(`"${entry}" is not provider/model=tokens (or provider/*=tokens)`);
    overrides.set(match[1]!, Number(match[2]));
  }
  return overrides;
}

/** The context window of `modelId` in tokens: an override, else a known family, else a safe default; undefined for the built-in model. */
export function contextWindowOf(modelId: string, overrides: ContextWindowOverrides = new Map()): number | undefined {
  const provider = providerOf(modelId);
  const overridden = overrides.get(modelId) ?? overrides.get(`${provider}/*`);
  if (overridden !== undefined) return overridden;
  if (provider === 'local') return undefined;
  const name = modelId.slice(provider.length + 1);
  return KNOWN.find(([known, pattern]) => known === provider && pattern.test(name))?.[2] ?? UNKNOWN_MODEL_CONTEXT_TOKENS;
}

function providerOf(modelId: string): string {
  const slash = modelId.indexOf('/');
  return slash === -1 ? modelId : modelId.slice(0, slash);
}
