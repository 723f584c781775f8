import {
  Migrator,
  PostgresAdapter,
  sql,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
} from 'kysely';
import { isCatalogRace, retryingCatalogRaces } from './catalog-race.js';
import * as initial from './migrations/2026-11-23-01-initial.js';
import * as durableRuns from './migrations/2026-11-23-02-durable-runs.js';
import * as messageSuggestions from './migrations/2026-11-23-03-message-suggestions.js';
import * as runApprovals from './migrations/2026-11-23-04-run-approvals.js';
import * as runOwners from './migrations/2026-11-23-05-run-owners.js';
import * as sessionAllowedTools from './migrations/2026-11-23-06-session-allowed-tools.js';
import * as runCancelReason from './migrations/2026-11-30-01-run-cancel-reason.js';
import * as runEpochs from './migrations/2026-11-30-02-run-epochs.js';
import * as messagesByRun from './migrations/2026-12-01-01-messages-by-run.js';
import * as userLimits from './migrations/2026-12-01-10-user-limits.js';
import * as usageLedger from './migrations/2026-12-01-11-usage-ledger.js';
import * as auditTrail from './migrations/2026-12-01-20-audit-trail.js';
import * as retention from './migrations/2026-12-01-21-retention.js';
import * as messageBranches from './migrations/2026-12-01-30-message-branches.js';
import * as messageRatings from './migrations/2026-12-01-31-message-ratings.js';
import * as messageSearch from './migrations/2026-12-01-32-message-search.js';
import * as operatorTokens from './migrations/2026-12-01-60-operator-tokens.js';
import * as messageSearchBatches from './migrations/2026-12-01-70-message-search-batches.js';
import * as ratingsIndexRatedOnly from './migrations/2026-12-01-71-ratings-index-rated-only.js';

/**
 * Every migration, by name. Listed here rather than read from the folder so the server also
 * runs from a bundle; names are dated, so they sort in the order they must run.
 */
const migrations: Record<string, Migration> = {
  '2026-11-23-01-initial': initial,
  '2026-11-23-02-durable-runs': durableRuns,
  '2026-11-23-03-message-suggestions': messageSuggestions,
  '2026-11-23-04-run-approvals': runApprovals,
  '2026-11-23-05-run-owners': runOwners,
  '2026-11-23-06-session-allowed-tools': sessionAllowedTools,
  '2026-11-30-01-run-cancel-reason': runCancelReason,
  '2026-11-30-02-run-epochs': runEpochs,
  '2026-12-01-01-messages-by-run': messagesByRun,
  '2026-12-01-10-user-limits': userLimits,
  '2026-12-01-11-usage-ledger': usageLedger,
  '2026-12-01-20-audit-trail': auditTrail,
  '2026-12-01-21-retention': retention,
  '2026-12-01-30-message-branches': messageBranches,
  '2026-12-01-31-message-ratings': messageRatings,
  '2026-12-01-32-message-search': messageSearch,
  '2026-12-01-60-operator-tokens': operatorTokens,
  '2026-12-01-70-message-search-batches': messageSearchBatches,
  '2026-12-01-71-ratings-index-rated-only': ratingsIndexRatedOnly,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * On PostgreSQL, the schema the connection works in (the first of its search_path). Without it the
 * Migrator looks for its own tables in every schema of the database, finds another schema's
 * `kysely_migration_lock`, skips creating its own, and fails with "relation does not exist".
 */
async function currentSchema(db: Kysely<any>): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined;
  const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return result.rows[0]?.schema ?? undefined;
}

/** Brings the schema up to date; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  const migrationTableSchema = await currentSchema(db);
  const migrator = new Migrator({ db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const result = await migratingPastRaces(() => migrator.migrateToLatest());
  if (result.error) throw new Error(`migration failed: ${String(result.error)}`, { cause: result.error });
  return result;
}

/**
 * One of a Migrator's moves (`migrateToLatest`, `migrateTo`…), made again while its look for its
 * own tables meets DDL in another schema (a catalog race: nothing ran); resolves to its result,
 * a failing migration's error included.
 */
export function migratingPastRaces(move: () => Promise<MigrationResultSet>): Promise<MigrationResultSet> {
  return retryingCatalogRaces(async () => {
    const result = await move();
    if (isCatalogRace(result.error)) throw result.error;
    return result;
  });
}
