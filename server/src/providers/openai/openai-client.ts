import OpenAI from 'openai';
import { fetchRequiringDone } from './require-done-marker.js';

/**
 * The `openai` SDK client Threadline uses: its own retries off (`maxRetries: 0`: `resilient`
 * retries, in one place), a fetch that makes a stream without `[DONE]` fail, and its console
 * logging off (every failure is mapped to a ProviderError and logged with the run). `headers` go
 * with every request and win over the SDK's own: `Authorization: Basic` for credentials taken out
 * of the base URL replaces the bearer key (a request has one Authorization header).
 */
export function createOpenAIClient(settings: { apiKey: string; baseUrl: string; headers?: Record<string, string> }): OpenAI {
  return new OpenAI({
    apiKey: settings.apiKey,
    baseURL: settings.baseUrl,
    maxRetries: 0,
    fetch: fetchRequiringDone(),
    logLevel: 'off',
    ...(settings.headers ? { defaultHeaders: settings.headers } : {}),
  });
}
