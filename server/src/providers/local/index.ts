import type { Provider } from '../types.js';
import { EchoModel, type EchoModelOptions } from './echo-model.js';

/** The built-in provider: one model, `echo`, no key, no network. */
export function createLocalProvider(options: EchoModelOptions): Provider {
  const echo = new EchoModel(options);
  return {
    name: 'local',
    baseUrl: null,
    model(modelName) {
      if (modelName !== 'echo') throw new Error(`local has no model ${modelName}`);
      return echo;
    },
    listModels: async () => ['echo'],
  };
}
