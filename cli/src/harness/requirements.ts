import { dirname, resolve } from 'node:path';
import type { ThreadlineClient } from '@threadline/client';
import { z } from 'zod';

/**
 * What a scenario needs of its server, machine-readable: `threadline run` checks it against the
 * server (system.info, agents.list) and skips a scenario whose needs are not met, and with
 * `--start-server` starts a server set up for it.
 */
export const Requirements = z.strictObject({
  /** Agents the server must have (defined in `agentsFile` for --start-server). */
  agents: z.array(z.string().min(1)).min(1).optional(),
  /** The agents file that defines them, relative to the scenario file (THREADLINE_AGENTS_FILE). */
  agentsFile: z.string().min(1).optional(),
  /** Runs at once per provider, e.g. `{ local: 1 }` (THREADLINE_CONCURRENCY_<PROVIDER>). */
  concurrency: z.record(z.string().regex(/^[a-z0-9_-]+$/, 'a provider name, e.g. local'), z.number().int().positive()).optional(),
  /** Feature flags of system.info the server must show, e.g. `redis`, `postgres`. */
  features: z.array(z.string().min(1)).min(1).optional(),
});
export type Requirements = z.infer<typeof Requirements>;

/** What was learnt of a server to check requirements against. */
export interface ServerFacts {
  features: string[];
  concurrency: Record<string, number>;
  agents: string[];
}

/** Asks the server what it is set up for. */
export async function serverFacts(client: ThreadlineClient): Promise<ServerFacts> {
  const [info, agents] = await Promise.all([client.system.info.query(), client.agents.list.query()]);
  return { features: info.features, concurrency: info.concurrency, agents: agents.map((agent) => agent.name) };
}

/**
 * Why this server cannot run the scenario (empty when it can): each unmet need with the setting that
 * would meet it.
 */
export function unmetRequirements(requirements: Requirements | undefined, facts: ServerFacts, scenarioFile: string): string[] {
  if (!requirements) return [];
  const reasons: string[] = [];
  const missing = (requirements.agents ?? []).filter((agent) => !facts.agents.includes(agent));
  if (missing.length > 0) {
    const file = requirements.agentsFile ? ` (start it with THREADLINE_AGENTS_FILE=${agentsFilePath(requirements.agentsFile, scenarioFile)})` : '';
    reasons.push(`needs the agent${missing.length > 1 ? 's' : ''} ${missing.join(', ')}${file}`);
  }
  for (const [provider, limit] of Object.entries(requirements.concurrency ?? {})) {
    const actual = facts.concurrency[provider];
    if (actual !== limit) reasons.push(`needs ${concurrencyVariable(provider)}=${limit} (the server has ${actual ?? `no provider ${provider}`})`);
  }
  const features = (requirements.features ?? []).filter((feature) => !facts.features.includes(feature));
  if (features.length > 0) reasons.push(`needs the server feature${features.length > 1 ? 's' : ''} ${features.join(', ')}`);
  return reasons;
}

/** The environment of a server started for these requirements (--start-server). */
export function serverEnvironment(requirements: Requirements | undefined, scenarioFile: string): Record<string, string> {
  const environment: Record<string, string> = {};
  if (requirements?.agentsFile) environment.THREADLINE_AGENTS_FILE = agentsFilePath(requirements.agentsFile, scenarioFile);
  for (const [provider, limit] of Object.entries(requirements?.concurrency ?? {})) environment[concurrencyVariable(provider)] = String(limit);
  return environment;
}

function agentsFilePath(agentsFile: string, scenarioFile: string): string {
  return resolve(dirname(scenarioFile), agentsFile);
}

function concurrencyVariable(provider: string): string {
  return `THREADLINE_CONCURRENCY_${provider.toUpperCase().replace(/-/g, '_')}`;
}
