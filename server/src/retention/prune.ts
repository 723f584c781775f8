import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { DialectName } from '../store/open.js';
import {
  countExpiredRuns,
  countExpiredSessions,
  countKeptActive,
  deleteExpiredRuns,
  deleteExpiredSessions,
  findExpiredRuns,
  findExpiredSessions,
  trimExpiredSession,
  type DeletedRows,
  type ExpiredSessions,
} from '../store/retention.js';
import { reclaimSpace, spaceReclaimOf, type SpaceReclaim } from '../store/space.js';

/** How long each kind of data is kept after its last activity, ms; undefined keeps it forever. */
export interface RetentionPolicy {
  /** Archived sessions, by their last update. */
  archivedSessionsMs?: number | undefined;
  /** Every session, archived or not, by its last update. */
  sessionsMs?: number | undefined;
  /** Finished runs' records (status, timings, usage, error, checkpoint), by their end; their answers stay in their sessions. */
  runsMs?: number | undefined;
}

/** Rows per transaction when none is given. */
export const DEFAULT_PRUNE_BATCH = 500;

/** What `prune` does. */
export interface PruneOptions {
  policy: RetentionPolicy;
  dialect: DialectName;
  /** Count what would be deleted, delete nothing. */
  dryRun?: boolean;
  /** Most rows one transaction deletes (default 500). A session and its messages and runs go together when they fit. */
  batchSize?: number;
  /** "Now", epoch ms (tests). */
  now?: number;
  /** Stops between two batches (server shutdown); the summary says `interrupted`. */
  signal?: AbortSignal;
}

/** What a prune deleted (or, dry, would delete), by kind: one object, for the CLI, logs, metrics and the audit trail. */
export interface PruneSummary {
  dryRun: boolean;
  /** The cutoff of each policy in force: data idle since before it goes. */
  cutoffs: { archivedSessions: Date | null; sessions: Date | null; runs: Date | null };
  deleted: {
    /** Archived sessions deleted by the archived-sessions policy. */
    archivedSessions: number;
    /** Sessions deleted by the all-sessions policy (archived or not). */
    sessions: number;
    /** Messages of the deleted sessions. */
    messages: number;
    /** Runs of the deleted sessions, and finished runs past the runs policy. */
    runs: number;
  };
  /** Sessions old enough that were kept because a run of theirs is queued, running or waiting. */
  keptActive: number;
  /** Write transactions the prune used (0 when dry). */
  transactions: number;
  /** How the store gives the space back, and how many bytes this prune gave back. */
  space: { reclaim: SpaceReclaim; reclaimedBytes: number };
  /** Stopped early by its signal. */
  interrupted: boolean;
  durationMs: number;
}

/** Sessions and runs the summary counts, from rows deleted by one policy. */
function addRows(summary: PruneSummary, rows: DeletedRows, sessionKind: 'archivedSessions' | 'sessions'): void {
  summary.deleted[sessionKind] += rows.sessions;
  summary.deleted.messages += rows.messages;
  summary.deleted.runs += rows.runs;
}

/** Rows deleted in all. */
export function deletedRows(summary: PruneSummary): number {
  const { archivedSessions, sessions, messages, runs } = summary.deleted;
  return archivedSessions + sessions + messages + runs;
}

/**
 * Applies a retention policy: archived sessions, then every session, then finished runs' records,
 * each past its cutoff; never a session with a queued, running or waiting run. Deletes in
 * transactions of at most `batchSize` rows with a turn of the event loop between them, so the
 * server's own queries go on meanwhile; then gives SQLite's freed space back. Never touches users,
 * tokens or the audit trail.
 */
export async function prune(db: Kysely<Database>, options: PruneOptions): Promise<PruneSummary> {
  const started = Date.now();
  const now = options.now ?? started;
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_PRUNE_BATCH);
  const cutoff = (ms: number | undefined) => (ms === undefined ? null : now - ms);
  const archivedCutoff = cutoff(options.policy.archivedSessionsMs);
  const sessionsCutoff = cutoff(options.policy.sessionsMs);
  const runsCutoff = cutoff(options.policy.runsMs);
  const summary: PruneSummary = {
    dryRun: options.dryRun ?? false,
    cutoffs: {
      archivedSessions: archivedCutoff === null ? null : new Date(archivedCutoff),
      sessions: sessionsCutoff === null ? null : new Date(sessionsCutoff),
      runs: runsCutoff === null ? null : new Date(runsCutoff),
    },
    deleted: { archivedSessions: 0, sessions: 0, messages: 0, runs: 0 },
    keptActive: 0,
    transactions: 0,
    space: { reclaim: await spaceReclaimOf(db, options.dialect), reclaimedBytes: 0 },
    interrupted: false,
    durationMs: 0,
  };
  const policies: [ExpiredSessions, 'archivedSessions' | 'sessions'][] = [];
  if (archivedCutoff !== null) policies.push([{ cutoff: archivedCutoff, archivedOnly: true }, 'archivedSessions']);
  if (sessionsCutoff !== null) policies.push([{ cutoff: sessionsCutoff, archivedOnly: false }, 'sessions']);

  summary.keptActive = await countKeptActive(db, policies.map(([which]) => which));

  if (summary.dryRun) {
    const earlier: ExpiredSessions[] = [];
    for (const [which, kind] of policies) {
      addRows(summary, await countExpiredSessions(db, which, earlier), kind);
      earlier.push(which);
    }
    if (runsCutoff !== null) summary.deleted.runs += await countExpiredRuns(db, runsCutoff, earlier);
  } else {
    const batches = new Batches(db, batchSize, summary, options.signal);
    for (const [which, kind] of policies) await batches.sessions(which, kind);
    if (runsCutoff !== null) await batches.runs(runsCutoff);
    if (deletedRows(summary) > 0 && !summary.interrupted) summary.space.reclaimedBytes = await reclaimSpace(db, options.dialect, options.signal);
  }
  summary.durationMs = Date.now() - started;
  return summary;
}

/** The deleting side of a prune: bounded transactions, a turn of the event loop after each. */
class Batches {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly size: number,
    private readonly summary: PruneSummary,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** False (and the summary marked) once the signal asks to stop. */
  private go(): boolean {
    if (this.signal?.aborted) this.summary.interrupted = true;
    return !this.summary.interrupted;
  }

  private async committed(rows: DeletedRows, kind: 'archivedSessions' | 'sessions'): Promise<void> {
    addRows(this.summary, rows, kind);
    this.summary.transactions++;
    await yieldTurn();
  }

  async sessions(which: ExpiredSessions, kind: 'archivedSessions' | 'sessions'): Promise<void> {
    while (this.go()) {
      const found = await findExpiredSessions(this.db, which, this.size);
      if (found.length === 0) return;
      const before = this.summary.deleted[kind];
      let group: string[] = [];
      let rows = 0;
      const flush = async () => {
        if (group.length > 0 && this.go()) await this.committed(await deleteExpiredSessions(this.db, group, which), kind);
        group = [];
        rows = 0;
      };
      for (const session of found) {
        if (session.rows > this.size) {
          await flush();
          await this.drain(session.id, session.rows - 1, which, kind);
          continue;
        }
        if (rows + session.rows > this.size) await flush();
        group.push(session.id);
        rows += session.rows;
      }
      await flush();
      // Nothing found could be deleted (each became active meanwhile): the next search finds the same.
      if (this.summary.deleted[kind] === before) return;
    }
  }

  /**
   * A session too big for one batch: its messages and runs a batch at a time until the rest fits
   * in one with the session itself, then those. `children`: its messages and runs when found.
   */
  private async drain(id: string, children: number, which: ExpiredSessions, kind: 'archivedSessions' | 'sessions'): Promise<void> {
    let left = children;
    while (left >= this.size && this.go()) {
      const trimmed = await trimExpiredSession(this.db, id, which, this.size);
      if (!trimmed) return;
      await this.committed(trimmed, kind);
      const count = trimmed.messages + trimmed.runs;
      if (count === 0) break;
      left -= count;
    }
    if (this.go()) await this.committed(await deleteExpiredSessions(this.db, [id], which), kind);
  }

  async runs(cutoff: number): Promise<void> {
    while (this.go()) {
      const ids = await findExpiredRuns(this.db, cutoff, this.size);
      if (ids.length === 0) return;
      const deleted = await deleteExpiredRuns(this.db, ids, cutoff);
      this.summary.deleted.runs += deleted;
      this.summary.transactions++;
      await yieldTurn();
      if (deleted === 0) return;
    }
  }
}
