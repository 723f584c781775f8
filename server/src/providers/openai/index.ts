import { resilient, type ResiliencePolicy } from '../resilient-model.js';
import type { ProviderSettings } from '../../config.js';
import type { Provider } from '../types.js';
import { mapOpenAIError } from './map-openai-error.js';
import { OpenAIChatModel } from './openai-chat-model.js';
import { createOpenAIClient } from './openai-client.js';
import { splitCredentials } from '../../url-credentials.js';

/** Where requests go when OPENAI_BASE_URL is unset. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** The openai provider's settings, as the configuration reads them (config.ts). */
export type OpenAISettings = NonNullable<ProviderSettings['openai']>;

/**
 * OpenAI Chat Completions (or any OpenAI-compatible server) through the official `openai` SDK.
 * Credentials in the base URL (a server behind basic auth) are sent as `Authorization: Basic`.
 */
export function createOpenAIProvider(settings: OpenAISettings, policy: ResiliencePolicy): Provider {
  // Explicit, so the SDK does not fall back to reading OPENAI_BASE_URL from the process itself.
  const { url: baseUrl, headers, secrets: urlSecrets } = splitCredentials(settings.baseUrl ?? OPENAI_DEFAULT_BASE_URL);
  const client = createOpenAIClient({ apiKey: settings.apiKey, baseUrl, headers });
  const isOpenAI = new URL(baseUrl).hostname === 'api.openai.com';
  // A short key is a placeholder such as `unused`, no secret.
  const secrets = [...urlSecrets, ...(settings.apiKey.length >= 8 ? [settings.apiKey] : [])];
  return {
    name: 'openai',
    baseUrl,
    model(modelName) {
      if (!modelName) throw new Error('openai needs a model name: openai/<model>');
      return resilient(new OpenAIChatModel({ client, modelName, secrets, useMaxCompletionTokens: isOpenAI }), policy);
    },
    /** `GET /models`: every model id the server offers, in its order. */
    async listModels(signal) {
      try {
        const names: string[] = [];
        for await (const model of client.models.list(signal ? { signal } : {})) names.push(model.id);
        return names;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw mapOpenAIError(error, { label: 'openai', secrets });
      }
    },
  };
}
