import type { Services } from '../../services.js';
import { HttpError } from '../http-io.js';

/** What a `model` of the OpenAI API names: a Threadline agent (with its own model), or a `provider/model` answered by the default agent. */
export type ModelChoice = { agent: string } | { model: string };

/** One entry of `GET /v1/models`. */
export interface OpenAIModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

function unknownModel(id: string): HttpError {
  return new HttpError(404, 'not_found', `The model \`${id}\` does not exist: GET /v1/models lists the agents and models of this server`, undefined, 'model');
}

/**
 * Resolves a `model` id: an agent's name first, then a `provider/model` of a configured provider
 * that the provider lists (when it cannot be asked for its list, a configured provider's id is
 * taken as it is). Anything else: 404 `model_not_found`.
 */
export async function resolveModelId(services: Services, id: string): Promise<ModelChoice> {
  if (services.agents.find(id)) return { agent: id };
  const slash = id.indexOf('/');
  if (slash <= 0 || !services.providers.has(id.slice(0, slash))) throw unknownModel(id);
  try {
    services.providers.resolve(id);
  } catch {
    throw unknownModel(id);
  }
  const provider = id.slice(0, slash);
  const offered = (await services.providers.listModels()).filter((model) => model.provider === provider);
  if (offered.length > 0 && !offered.some((model) => model.id === id)) throw unknownModel(id);
  return { model: id };
}

/** The agents, then every provider's models, as OpenAI's model list. */
export async function listOpenAIModels(services: Services): Promise<OpenAIModel[]> {
  const created = Math.floor(services.startedAt / 1000);
  const agents = services.agents.list().map((agent): OpenAIModel => ({ id: agent.name, object: 'model', created, owned_by: 'threadline' }));
  const models = (await services.providers.listModels()).map((model): OpenAIModel => ({ id: model.id, object: 'model', created, owned_by: model.provider }));
  return [...agents, ...models];
}
