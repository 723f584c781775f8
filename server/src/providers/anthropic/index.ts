import Anthropic from '@anthropic-ai/sdk';
import { resilient, type ResiliencePolicy } from '../resilient-model.js';
import type { ProviderSettings } from '../../config.js';
import type { Provider } from '../types.js';
import { AnthropicChatModel } from './anthropic-chat-model.js';
import { mapAnthropicError } from './map-anthropic-error.js';
import { splitCredentials } from '../../url-credentials.js';

/** Where requests go when ANTHROPIC_BASE_URL is unset. */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** The anthropic provider's settings, as the configuration reads them (config.ts). */
export type AnthropicSettings = NonNullable<ProviderSettings['anthropic']>;

/**
 * Anthropic Messages through the official `@anthropic-ai/sdk`. Credentials in the base URL (a
 * proxy with basic auth) are sent as `Authorization: Basic`, beside the key's `x-api-key`.
 */
export function createAnthropicProvider(settings: AnthropicSettings, policy: ResiliencePolicy): Provider {
  const { url: baseUrl, headers, secrets: urlSecrets } = splitCredentials(settings.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL);
  const secrets = [...urlSecrets, settings.apiKey];
  const client = new Anthropic({
    apiKey: settings.apiKey,
    baseURL: baseUrl,
    defaultHeaders: headers,
    // Retries happen in one place, resilient(), and only before the first part.
    maxRetries: 0,
    // Failures reach the run as ProviderErrors; the SDK's own console lines would only duplicate them.
    logLevel: 'off',
  });
  return {
    name: 'anthropic',
    baseUrl,
    model: (modelName) => resilient(new AnthropicChatModel(modelName, { client, secrets }), policy),
    async listModels(signal) {
      try {
        const names: string[] = [];
        for await (const model of client.models.list({ limit: 1000 }, signal ? { signal } : {})) names.push(model.id);
        return names;
      } catch (error) {
        if (signal?.aborted) throw error;
        throw mapAnthropicError(error, { label: 'anthropic', secrets });
      }
    },
  };
}
