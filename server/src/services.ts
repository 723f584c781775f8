import type { Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import { AgentRegistry, builtInAgents } from './agents/registry.js';
import type { Config } from './config.js';
import { createLocalProvider } from './providers/local/index.js';
import { ProviderRegistry } from './providers/registry.js';
import { RunEngine } from './runs/engine.js';
import { InMemoryEventLog, type RunEventLog } from './runs/event-log.js';
import { interruptedError } from './runs/run-errors.js';
import type { Database } from './store/database.js';
import { openStore, type DialectName } from './store/open.js';
import { interruptStaleRuns } from './store/runs.js';

/** Everything a request handler may use; built once per server. */
export interface Services {
  config: Config;
  db: Kysely<Database>;
  dialect: DialectName;
  providers: ProviderRegistry;
  agents: AgentRegistry;
  log: RunEventLog;
  engine: RunEngine;
  logger: Logger;
  startedAt: number;
  /** Stops runs (as interrupted), then closes the database. */
  close(): Promise<void>;
}

/** Opens the store (migrating it), recovers runs a crash left behind, and wires the rest. */
export async function createServices(config: Config, logger: Logger = createLogger(config)): Promise<Services> {
  const { db, dialect } = await openStore(config);
  const interrupted = await interruptStaleRuns(db, interruptedError);
  if (interrupted > 0) logger.warn({ interrupted }, 'runs left active by the last process are now interrupted');

  const providers = new ProviderRegistry([createLocalProvider({ delayMs: config.localDelayMs })]);
  const agents = new AgentRegistry(builtInAgents(), config.defaultModel);
  const log = new InMemoryEventLog(config.runRetentionMs);
  const engine = new RunEngine({ db, providers, agents, log, logger });
  return {
    config,
    db,
    dialect,
    providers,
    agents,
    log,
    engine,
    logger,
    startedAt: Date.now(),
    async close() {
      await engine.shutdown();
      log.close();
      await db.destroy();
    },
  };
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'threadline' } });
}
