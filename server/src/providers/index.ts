import type { Config } from '../config.js';
import { createLocalProvider } from './local/index.js';
import { ProviderRegistry } from './registry.js';

/** The built-in provider plus every provider the configuration enables. */
export function createProviderRegistry(config: Config): ProviderRegistry {
  return new ProviderRegistry([createLocalProvider({ delayMs: config.localDelayMs })]);
}
