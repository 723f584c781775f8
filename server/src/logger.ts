import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { redact, splitCredentials } from './url-credentials.js';

/** What the logger needs from the configuration: its level, and where the secrets are. */
export type LoggerConfig = Pick<Config, 'logLevel' | 'providers' | 'databaseUrl' | 'redisUrl'>;

/**
 * Every secret of the configuration: the API keys (a short placeholder such as `unused` is none)
 * and the credentials of every URL, also as they read inside a JSON string.
 */
export function secretsOf(config: Omit<LoggerConfig, 'logLevel'>): string[] {
  const { openai, anthropic, ollama } = config.providers;
  const keys = [openai?.apiKey, anthropic?.apiKey].filter((key): key is string => key !== undefined && key.length >= 8);
  const ollamaUrl = ollama && (ollama.host.includes('://') ? ollama.host : `http://${ollama.host}`);
  const urls = [openai?.baseUrl, anthropic?.baseUrl, ollamaUrl, config.databaseUrl, config.redisUrl];
  const credentials = urls.flatMap((url) => (url && URL.canParse(url) ? splitCredentials(url).secrets : []));
  return [...new Set([...keys, ...credentials].flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]))];
}

/**
 * The server's pino logger. Every line passes through `redact` before it is written: no secret of
 * the configuration and no URL's credentials reach the log, whatever an error message quoted.
 */
export function createLogger(config: LoggerConfig): Logger {
  const secrets = secretsOf(config);
  return pino({ level: config.logLevel, base: { service: 'threadline' }, hooks: { streamWrite: (line) => redact(line, secrets) } });
}
