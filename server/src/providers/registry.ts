import type { ModelInfo } from '@threadline/shared';
import { invalid } from '../errors.js';
import type { ChatModel, Provider } from './types.js';

/** The configured providers, by name; resolves `provider/model` ids. */
export class ProviderRegistry {
  private readonly providers = new Map<string, Provider>();

  constructor(providers: Provider[]) {
    for (const provider of providers) this.providers.set(provider.name, provider);
  }

  list(): Provider[] {
    return [...this.providers.values()];
  }

  has(name: string): boolean {
    return this.providers.has(name);
  }

  /** The model for a `provider/model` id; an unknown or unconfigured provider is a bad request. */
  resolve(modelId: string): ChatModel {
    const slash = modelId.indexOf('/');
    const provider = this.providers.get(modelId.slice(0, slash));
    if (slash <= 0 || !provider) throw invalid(`model ${modelId} is not available: its provider is not configured`);
    try {
      return provider.model(modelId.slice(slash + 1));
    } catch (error) {
      throw invalid(`model ${modelId} is not available: ${(error as Error).message}`);
    }
  }

  /** Every model every provider offers; a provider that cannot be reached contributes nothing. */
  async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
    const lists = await Promise.all(
      this.list().map(async (provider) => {
        const names = await provider.listModels(signal).catch(() => []);
        return names.map((name) => ({ id: `${provider.name}/${name}`, provider: provider.name, name }));
      }),
    );
    return lists.flat();
  }
}
