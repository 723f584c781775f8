import type { Command } from 'commander';
import { cliSource } from '../audit/actors.js';
import { loadConfig } from '../config.js';
import { prune, type PruneSummary } from '../retention/prune.js';
import { prunePolicy } from '../retention/prune-policy.js';
import { AUDIT_ACTIONS, recordAudit } from '../store/audit.js';
import { openStore, type Store } from '../store/open.js';
import { vacuumSqlite } from '../store/space.js';

/** How an operator command ends in failure: its message on stderr, exit status 1. */
export type Fail = (message: string) => never;

/** Opens the configured store for one command, then closes it. */
export async function withOperatorStore<T>(action: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(loadConfig());
  try {
    return await action(store);
  } finally {
    await store.db.destroy();
  }
}

const formatBytes = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.round(bytes / 1024)} KB`);

/** The summary as the operator reads it. */
export function describePrune(summary: PruneSummary): string {
  const { deleted } = summary;
  const lines = [summary.dryRun ? 'would delete (dry run, nothing deleted):' : 'deleted:'];
  const rows: [string, number, Date | null][] = [
    ['archived sessions', deleted.archivedSessions, summary.cutoffs.archivedSessions],
    ['sessions', deleted.sessions, summary.cutoffs.sessions],
    ['messages', deleted.messages, null],
    ['runs', deleted.runs, summary.cutoffs.runs],
  ];
  for (const [kind, count, cutoff] of rows) lines.push(`  ${kind.padEnd(18)} ${String(count).padStart(8)}${cutoff ? `   idle since before ${cutoff.toISOString()}` : ''}`);
  if (summary.keptActive > 0) lines.push(`kept: ${summary.keptActive} old session(s) with a queued, running or waiting run`);
  if (!summary.dryRun) {
    if (summary.space.reclaim === 'incremental') lines.push(`${formatBytes(summary.space.reclaimedBytes)} given back to the file system`);
    if (summary.space.reclaim === 'not-enabled') lines.push('the freed space is reused by new data; to shrink the file, run `threadline-server vacuum` once (see docs/RETENTION.md)');
  }
  if (summary.interrupted) lines.push('interrupted: run it again to finish');
  lines.push(`${summary.transactions} transaction(s), ${summary.durationMs} ms`);
  return lines.join('\n');
}

/** `prune` and `vacuum`. */
export function registerRetentionCommands(program: Command, fail: Fail): void {
  program
    .command('prune')
    .description('delete sessions, messages and finished runs past the retention policy (THREADLINE_RETENTION_*, or --older-than)')
    .option('--older-than <duration>', 'keep what had activity within this long (e.g. 30d, 12h), for every kind; default: the configured policy')
    .option('--kinds <kinds>', 'only these, comma-separated: archived-sessions, sessions, runs (default: all)')
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .option('--batch-size <rows>', 'most rows per transaction (default THREADLINE_RETENTION_BATCH, 500)')
    .option('--format <format>', 'text or json', 'text')
    .action((options: { olderThan?: string; kinds?: string; dryRun?: boolean; batchSize?: string; format: string }) =>
      withOperatorStore(async ({ db, dialect }) => {
        const config = loadConfig();
        if (options.format !== 'text' && options.format !== 'json') fail(`--format must be text or json, not ${options.format}`);
        const policy = prunePolicy(options, config.retention);
        if (typeof policy === 'string') fail(policy);
        const batchSize = options.batchSize === undefined ? config.retention.batchSize : Number(options.batchSize);
        if (!Number.isInteger(batchSize) || batchSize < 1) fail(`--batch-size takes a positive whole number, not ${options.batchSize}`);
        const summary = await prune(db, { policy, dialect, dryRun: options.dryRun ?? false, batchSize });
        if (!summary.dryRun) {
          await recordAudit(db, { ...cliSource(), action: AUDIT_ACTIONS.retentionPrune, details: { olderThan: options.olderThan ?? null, kinds: options.kinds ?? null, ...summary } });
        }
        console.log(options.format === 'json' ? JSON.stringify(summary) : describePrune(summary));
      }),
    );

  program
    .command('vacuum')
    .description('SQLite: rewrite the database file once so deleted data gives its space back (needs as much free disk again; best with the server stopped)')
    .action(() =>
      withOperatorStore(async ({ db, dialect }) => {
        if (dialect === 'postgres') {
          console.log('PostgreSQL reclaims space with its own autovacuum: nothing to do here');
          return;
        }
        const reclaimedBytes = await vacuumSqlite(db);
        await recordAudit(db, { ...cliSource(), action: AUDIT_ACTIONS.storeVacuum, details: { reclaimedBytes } });
        console.log(`vacuumed: ${formatBytes(reclaimedBytes)} given back; later prunes give space back by themselves (auto_vacuum = INCREMENTAL)`);
      }),
    );
}
