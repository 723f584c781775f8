import type { Config } from '../config.js';
import { createLocalProvider } from './local/index.js';
import { ProviderRegistry } from './registry.js';

/**
 * The built-in provider plus every provider the configuration enables. Each provider's SDK is
 * loaded only when it is configured (an unused SDK costs megabytes of memory and start-up time).
 */
export async function createProviderRegistry(config: Config): Promise<ProviderRegistry> {
  const { openai, anthropic, ollama } = config.providers;
  return new ProviderRegistry([
    createLocalProvider({ delayMs: config.localDelayMs }),
    ...(openai ? [(await import('./openai/index.js')).createOpenAIProvider(openai, config.resilience)] : []),
    ...(anthropic ? [(await import('./anthropic/index.js')).createAnthropicProvider(anthropic, config.resilience)] : []),
    ...(ollama ? [(await import('./ollama/index.js')).createOllamaProvider(ollama, config.resilience)] : []),
  ]);
}
