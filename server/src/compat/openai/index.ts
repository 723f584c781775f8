import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../../services.js';
import { authenticate, HttpError, sendJson, toHttpError } from '../http-io.js';
import { chatCompletions } from './chat-completions.js';
import { listOpenAIModels } from './model-ids.js';
import { sendOpenAIError } from './openai-errors.js';

export { SESSION_HEADER } from './chat-completions.js';

/**
 * The OpenAI-compatible API under `/v1/`: `POST /v1/chat/completions`, `GET /v1/models` and
 * `GET /v1/models/{id}`, behind the same bearer tokens as tRPC; errors in OpenAI's shape.
 */
export function createOpenAIRoutes(services: Services): (request: IncomingMessage, response: ServerResponse, path: string) => void {
  return (request, response, path) => {
    const answer = route(services, request, response, path).catch((error: unknown) => {
      const failure = toHttpError(error);
      if (failure.status === 500) services.logger.error({ err: error, path }, 'OpenAI-compatible request failed');
      sendOpenAIError(response, failure);
    });
    void answer;
  };
}

async function route(services: Services, request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
  const method = request.method ?? 'GET';
  if (path === '/v1/chat/completions') {
    if (method !== 'POST') throw new HttpError(405, 'invalid', 'use POST /v1/chat/completions');
    return chatCompletions(services, request, response);
  }
  if (path === '/v1/models' || path.startsWith('/v1/models/')) {
    if (method !== 'GET') throw new HttpError(405, 'invalid', `use GET ${path}`);
    await authenticate(services, request);
    const models = await listOpenAIModels(services);
    if (path === '/v1/models') return sendJson(response, 200, { object: 'list', data: models });
    const id = decodedOr(path.slice('/v1/models/'.length));
    const model = models.find((candidate) => candidate.id === id);
    if (!model) throw new HttpError(404, 'not_found', `The model \`${id}\` does not exist`, undefined, 'model');
    return sendJson(response, 200, model);
  }
  throw new HttpError(404, 'not_found', `Invalid URL (${method} ${path})`);
}

function decodedOr(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
