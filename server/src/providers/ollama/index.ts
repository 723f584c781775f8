import { resilient, type ResiliencePolicy } from '../resilient-model.js';
import type { ProviderSettings } from '../../config.js';
import type { Provider } from '../types.js';
import { mapOllamaError } from './map-ollama-error.js';
import { ollamaTagsResponseSchema } from './ollama-api.js';
import { OllamaChatModel } from './ollama-chat-model.js';
import { createOllamaClient, parseOllamaHost, type OllamaExchange } from './ollama-client.js';

/**
 * Ollama's native /api/chat through the official `ollama` package, at OLLAMA_HOST. The package
 * never retries, so `resilient` is the only place that does. Models are the ones pulled on the
 * server (`GET /api/tags`), named as Ollama names them (`llama3.2:latest`).
 */
export function createOllamaProvider(settings: NonNullable<ProviderSettings['ollama']>, policy: ResiliencePolicy): Provider {
  const connection = parseOllamaHost(settings.host);
  return {
    name: 'ollama',
    baseUrl: connection.host,
    model: (modelName) => resilient(new OllamaChatModel(modelName, connection), policy),
    async listModels(signal) {
      const exchange: OllamaExchange = {};
      try {
        const client = createOllamaClient(connection, signal ?? new AbortController().signal, exchange);
        const { models } = ollamaTagsResponseSchema.parse(await client.list());
        return models.map((model) => model.name);
      } catch (error) {
        if (signal?.aborted) throw error;
        throw mapOllamaError(error, { label: 'ollama', exchange, secrets: connection.secrets });
      }
    },
  };
}
