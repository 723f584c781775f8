import type { ModelInfo } from '@threadline/shared';
import { invalid } from '../errors.js';
import type { ChatModel, Provider } from './types.js';

/** The configured providers, by name; resolves `provider/model` ids. */
export class ProviderRegistry {
  private readonly providers = new Map<string, Provider>();
  /** Each provider's last model list and when it expires: listing asks a remote API. */
  private readonly modelCache = new Map<string, { names: Promise<string[]>; expiresAt: number }>();

  constructor(
    providers: Provider[],
    private readonly modelCacheMs = 60_000,
  ) {
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

  /**
   * Every model every provider offers, each provider's list cached for a minute; a provider that
   * cannot be reached contributes nothing (and is asked again next time).
   */
  async listModels(): Promise<ModelInfo[]> {
    const lists = await Promise.all(
      this.list().map(async (provider) => {
        const names = await this.cachedNames(provider);
        return names.map((name) => ({ id: `${provider.name}/${name}`, provider: provider.name, name }));
      }),
    );
    return lists.flat();
  }

  private cachedNames(provider: Provider): Promise<string[]> {
    const cached = this.modelCache.get(provider.name);
    if (cached && cached.expiresAt > Date.now()) return cached.names;
    const names = provider.listModels(AbortSignal.timeout(10_000)).catch(() => {
      this.modelCache.delete(provider.name);
      return [] as string[];
    });
    this.modelCache.set(provider.name, { names, expiresAt: Date.now() + this.modelCacheMs });
    return names;
  }
}
