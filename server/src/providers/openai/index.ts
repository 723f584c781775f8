import { resilient, type ResiliencePolicy } from '../resilient-model.js';
import type { ProviderSettings } from '../../config.js';
import type { Provider } from '../types.js';
import { mapOpenAIError } from './map-openai-error.js';
import { OpenAIChatModel } from './openai-chat-model.js';
import { createOpenAIClient } from './openai-client.js';

/** Where requests go when OPENAI_BASE_URL is unset. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** The openai provider's settings, as the configuration reads them (config.ts). */
export type OpenAISettings = NonNullable<ProviderSettings['openai']>;

/** OpenAI Chat Completions (or any OpenAI-compatible server) through the official `openai` SDK. */
export function createOpenAIProvider(settings: OpenAISettings, policy: ResiliencePolicy): Provider {
  // Explicit, so the SDK does not fall back to reading OPENAI_BASE_URL from the process itself.
  const baseUrl = settings.baseUrl ?? OPENAI_DEFAULT_BASE_URL;
  const client = createOpenAIClient({ apiKey: settings.apiKey, baseUrl });
  const isOpenAI = new URL(baseUrl).hostname === 'api.openai.com';
  return {
    name: 'openai',
    baseUrl,
    model(modelName) {
      if (!modelName) throw new Error('openai needs a model name: openai/<model>');
      return resilient(new OpenAIChatModel({ client, modelName, apiKey: settings.apiKey, useMaxCompletionTokens: isOpenAI }), policy);
    },
    /** `GET /models`: every model id the server offers, in its order. */
    async listModels(signal) {
      try {
        const names: string[] = [];
        for await (const model of client.models.list(signal ? { signal } : {})) names.push(model.id);
        return names;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw mapOpenAIError(error, { label: 'openai', apiKey: settings.apiKey });
      }
    },
  };
}
