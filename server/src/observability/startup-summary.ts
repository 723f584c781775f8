import type { Config } from '../config.js';
import { displayUrl } from '../url-credentials.js';

/**
 * The effective configuration as the start-up log line shows it: what an operator needs to know
 * the server runs as they meant, and no secret (keys and tokens are only said to be set; URLs lose
 * their credentials).
 */
export function startupSummary(config: Config, facts: { url: string; database: string; agents: string[]; mcpServers: string[] }): Record<string, unknown> {
  const { openai, anthropic, ollama } = config.providers;
  const url = (value: string | undefined) => (value ? displayUrl(value) : null);
  return {
    url: facts.url,
    database: facts.database,
    databaseUrl: url(config.databaseUrl),
    dataDir: config.dataDir,
    redis: url(config.redisUrl),
    defaultModel: config.defaultModel,
    providers: {
      local: { delayMs: config.localDelayMs },
      ...(openai ? { openai: { baseUrl: url(openai.baseUrl), apiKey: openai.apiKey === 'unused' ? 'unset' : 'set' } } : {}),
      ...(anthropic ? { anthropic: { baseUrl: url(anthropic.baseUrl), apiKey: 'set' } } : {}),
      ...(ollama ? { ollama: { host: displayUrl(ollama.host) } } : {}),
    },
    agents: facts.agents,
    agentsFile: config.agentsFile ?? null,
    mcpServers: facts.mcpServers,
    concurrency: Object.fromEntries(['local', ...(openai ? ['openai'] : []), ...(anthropic ? ['anthropic'] : []), ...(ollama ? ['ollama'] : [])].map((name) => [name, config.concurrency(name)])),
    limits: config.limits,
    resilience: config.resilience,
    maxRunMs: config.maxRunMs,
    approvalTimeoutMs: config.approvalTimeoutMs,
    checkpointMs: config.checkpointMs,
    corsOrigins: config.corsOrigins,
    logLevel: config.logLevel,
    logContent: config.logContent,
    metrics: config.metrics.enabled ? { path: '/metrics', token: config.metrics.token ? 'required' : 'none' } : 'off',
    tracing: config.tracing.endpoint ? { endpoint: displayUrl(config.tracing.endpoint), serviceName: config.tracing.serviceName } : 'off',
  };
}
