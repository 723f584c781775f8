import type { Kysely } from 'kysely';
import type { AgentRegistry } from '../agents/registry.js';
import type { AgentDefinition } from '../agents/types.js';
import type { Cluster } from '../cluster/cluster.js';
import { invalid } from '../errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChatModel } from '../providers/types.js';
import type { Database, RunRow } from '../store/database.js';
import { claimRun, findUnfinishedRuns } from '../store/runs.js';
import { findSession } from '../store/sessions.js';
import type { RunEventLog } from './event-log.js';
import { failParkedRun, parseParkedRun, type ParkedRun } from './parked-run.js';
import { interruptRun } from './recovery.js';
import { interruptedError } from './run-errors.js';

export interface OrphanRunsDependencies {
  db: Kysely<Database>;
  instanceId: string;
  cluster?: Cluster;
  agents: AgentRegistry;
  providers: ProviderRegistry;
  log: RunEventLog;
  /** True when this process holds the run already. */
  isHeld(runId: string): boolean;
  /** Holds a waiting run taken over from the store (the engine schedules it). */
  hold(row: RunRow, parked: ParkedRun, agent: AgentDefinition, model: ChatModel, untitled: boolean): void;
}

/**
 * Unfinished runs that no live instance holds: those of a process that stopped or crashed. Without
 * a cluster the instance is alone and every unfinished run is an orphan at start; with one, a run
 * is an orphan when its owner's heartbeat stopped (or it has none). Taking one over is a
 * conditional update of its owner, so one instance wins.
 */
export class OrphanRuns {
  constructor(private readonly deps: OrphanRunsDependencies) {}

  /**
   * Claims every orphan (and, with `includeOwn`, this instance's own unfinished runs, at start): a
   * queued or running one is interrupted (its partial answer kept; readers of a shared log get its
   * end), a waiting one is held here to be decided and go on (or fails, its partial answer kept,
   * when its agent or model is gone).
   */
  async adopt(includeOwn: boolean): Promise<{ interrupted: number; resumed: number }> {
    const counts = { interrupted: 0, resumed: 0 };
    const alive = new Map<string, Promise<boolean>>();
    for (const row of await findUnfinishedRuns(this.deps.db)) {
      if (this.deps.isHeld(row.id) || !(await this.claim(row, includeOwn, alive))) continue;
      if (row.status === 'waiting') {
        await this.resume(row);
        counts.resumed++;
      } else {
        await this.interrupt(row);
        counts.interrupted++;
      }
    }
    return counts;
  }

  /** Whether this instance may take the run over (and has, in the store); `alive` remembers each owner's liveness for one pass. */
  private async claim(row: RunRow, includeOwn: boolean, alive: Map<string, Promise<boolean>>): Promise<boolean> {
    const { instanceId, cluster, db } = this.deps;
    const owner = row.owner;
    if (owner === instanceId) return includeOwn;
    if (owner !== null && cluster) {
      if (!alive.has(owner)) alive.set(owner, cluster.isAlive(owner));
      if (await alive.get(owner)) return false;
    }
    return claimRun(db, row.id, owner, instanceId);
  }

  private async interrupt(row: RunRow): Promise<void> {
    const { db, log } = this.deps;
    const answer = await interruptRun(db, row);
    if (answer) await log.appendRemote?.(row.id, { type: 'message-end', message: answer });
    await log.appendRemote?.(row.id, { type: 'run-error', ...interruptedError });
  }

  private async resume(row: RunRow): Promise<void> {
    const { db, agents, providers } = this.deps;
    const parked = parseParkedRun(row.waiting!);
    const agent = agents.find(parked.agent);
    let model: ChatModel;
    try {
      if (!agent) throw invalid(`agent ${parked.agent} no longer exists`);
      model = providers.resolve(parked.model);
    } catch (error) {
      await failParkedRun(db, row, parked, (error as Error).message);
      return;
    }
    const session = row.session_id ? await findSession(db, row.user_id, row.session_id) : undefined;
    this.deps.hold(row, parked, agent, model, session?.title === null);
  }
}
