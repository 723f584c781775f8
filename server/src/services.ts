import type { Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import { builtInAgents, builtInTools } from './agents/built-in.js';
import { AgentRegistry } from './agents/registry.js';
import type { Config } from './config.js';
import { createProviderRegistry } from './providers/index.js';
import type { ProviderRegistry } from './providers/registry.js';
import { RunEngine } from './runs/engine.js';
import { InMemoryEventLog, type RunEventLog } from './runs/event-log.js';
import { recoverInterruptedRuns } from './runs/recovery.js';
import type { Database } from './store/database.js';
import { openStore, type DialectName } from './store/open.js';

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
  /** Lets active runs finish for up to `graceMs` (default: none), interrupts the rest, closes the database. */
  close(graceMs?: number): Promise<void>;
}

/** Opens the store (migrating it), recovers runs a crash left behind, and wires the rest. */
export async function createServices(config: Config, logger: Logger = createLogger(config)): Promise<Services> {
  const { db, dialect } = await openStore(config);
  const interrupted = await recoverInterruptedRuns(db);
  if (interrupted > 0) logger.warn({ interrupted }, 'runs left active by the last process are now interrupted');

  const providers = createProviderRegistry(config);
  const agents = new AgentRegistry(builtInAgents(builtInTools(db)), config.defaultModel);
  const log = new InMemoryEventLog(config.runRetentionMs);
  const options = { checkpointMs: config.checkpointMs, maxRunMs: config.maxRunMs, concurrency: config.concurrency };
  const engine = new RunEngine({ db, providers, agents, log, logger, options });
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
    async close(graceMs = 0) {
      await engine.drain(graceMs);
      log.close();
      await db.destroy();
    },
  };
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'threadline' } });
}
