import type { Kysely } from 'kysely';
import type { AgentRegistry } from '../agents/registry.js';
import type { AgentDefinition } from '../agents/types.js';
import type { Cluster } from '../cluster/index.js';
import { invalid } from '../errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ChatModel } from '../providers/types.js';
import type { Database } from '../store/database.js';
import { claimRun, findUnfinishedRuns, type RunLease, type StoredRun } from '../store/runs.js';
import { findSession } from '../store/sessions.js';
import type { RunEventLog } from '../events/index.js';
import { failParkedRun, interruptedError, interruptRun } from './record/index.js';
import type { ParkedRun } from '../store/run-shapes.js';

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
  hold(run: StoredRun, lease: RunLease, parked: ParkedRun, agent: AgentDefinition, model: ChatModel, untitled: boolean): void;
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
    for (const run of await findUnfinishedRuns(this.deps.db)) {
      if (this.deps.isHeld(run.id)) continue;
      const lease = await this.claim(run, includeOwn, alive);
      if (!lease) continue;
      if (run.status === 'waiting') {
        await this.resume(run, lease);
        counts.resumed++;
      } else {
        await this.interrupt(run, lease);
        counts.interrupted++;
      }
    }
    return counts;
  }

  /**
   * Takes the run over when this instance may (in a new epoch, so its former holder can write it no
   * more); `alive` remembers each owner's liveness for one pass. Its own runs: at start, and a
   * waiting one it no longer holds (parked when it lost its lease), at any time.
   */
  private async claim(run: StoredRun, includeOwn: boolean, alive: Map<string, Promise<boolean>>): Promise<RunLease | undefined> {
    const { instanceId, cluster, db } = this.deps;
    const owner = run.owner;
    if (owner === instanceId && !includeOwn && run.status !== 'waiting') return undefined;
    if (owner !== null && owner !== instanceId && cluster) {
      if (!alive.has(owner)) alive.set(owner, cluster.isAlive(owner));
      if (await alive.get(owner)) return undefined;
    }
    return claimRun(db, run, instanceId);
  }

  private async interrupt(run: StoredRun, lease: RunLease): Promise<void> {
    const { db, log } = this.deps;
    const answer = await interruptRun(db, run, lease);
    if (answer) await log.appendRemote?.(run.id, { type: 'message-end', message: answer });
    await log.appendRemote?.(run.id, { type: 'run-error', ...interruptedError });
  }

  private async resume(run: StoredRun, lease: RunLease): Promise<void> {
    const { db, agents, providers } = this.deps;
    const parked = run.parked!;
    const agent = agents.find(parked.agent);
    let model: ChatModel;
    try {
      if (!agent) throw invalid(`agent ${parked.agent} no longer exists`);
      model = providers.resolve(parked.model);
    } catch (error) {
      await failParkedRun(db, run, lease, parked, (error as Error).message);
      return;
    }
    const session = run.sessionId ? await findSession(db, run.userId, run.sessionId) : undefined;
    this.deps.hold(run, lease, parked, agent, model, session?.title === null);
  }
}
