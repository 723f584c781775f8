import type { Config } from '../config.js';
import { createAnthropicProvider } from './anthropic/index.js';
import { createLocalProvider } from './local/index.js';
import { createOllamaProvider } from './ollama/index.js';
import { createOpenAIProvider } from './openai/index.js';
import { ProviderRegistry } from './registry.js';

/** The built-in provider plus every provider the configuration enables. */
export function createProviderRegistry(config: Config): ProviderRegistry {
  const { openai, anthropic, ollama } = config.providers;
  return new ProviderRegistry([
    createLocalProvider({ delayMs: config.localDelayMs }),
    ...(openai ? [createOpenAIProvider(openai, config.resilience)] : []),
    ...(anthropic ? [createAnthropicProvider(anthropic, config.resilience)] : []),
    ...(ollama ? [createOllamaProvider(ollama, config.resilience)] : []),
  ]);
}
