import pino, { type DestinationStream, type Logger } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';
import type { Config } from './config.js';
import { redact, splitCredentials } from './url-credentials.js';

/** What the logger needs from the configuration: its level, and where the secrets are. */
export type LoggerConfig = Pick<Config, 'logLevel' | 'providers' | 'databaseUrl' | 'redisUrl'> & Partial<Pick<Config, 'metrics' | 'tracing'>>;

/**
 * Every secret of the configuration: the API keys and the metrics token (a short placeholder such
 * as `unused` is none) and the credentials of every URL, also as they read inside a JSON string.
 */
export function secretsOf(config: Omit<LoggerConfig, 'logLevel'>): string[] {
  const { openai, anthropic, ollama } = config.providers;
  const keys = [openai?.apiKey, anthropic?.apiKey, config.metrics?.token].filter((key): key is string => key !== undefined && key.length >= 8);
  const ollamaUrl = ollama && (ollama.host.includes('://') ? ollama.host : `http://${ollama.host}`);
  const urls = [openai?.baseUrl, anthropic?.baseUrl, ollamaUrl, config.databaseUrl, config.redisUrl, config.tracing?.endpoint];
  const credentials = urls.flatMap((url) => (url && URL.canParse(url) ? splitCredentials(url).secrets : []));
  return [...new Set([...keys, ...credentials].flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]))];
}

/**
 * The server's pino logger: JSON lines on stdout, or readable lines (pino-pretty) when stdout is a
 * terminal; `destination` replaces stdout (a test reads the lines). Every line passes through
 * `redact` before it is written: no secret of the configuration and no URL's credentials reach the
 * log, whatever an error message quoted. Authorization headers are never logged (see http-log.ts).
 */
export function createLogger(config: LoggerConfig, destination?: DestinationStream): Logger {
  const secrets = secretsOf(config);
  const options = {
    level: config.logLevel,
    base: { service: 'threadline' },
    hooks: { streamWrite: (line: string) => redact(line, secrets) },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.apiKey'], censor: '[redacted]' },
  };
  const stream = destination ?? (process.stdout.isTTY ? prettyLines() : undefined);
  return stream ? pino(options, stream) : pino(options);
}

/** Readable lines for a terminal. pino-pretty is loaded only then: a server writing JSON lines does not keep it in memory. */
function prettyLines(): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pretty({ colorize: true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l' });
}
