import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../store/database.js';
import type { AgentOutput } from '../../store/run-shapes.js';
import { RunLeaseLost } from '../../store/runs.js';
import { checkpointRun, type RecordedRun } from './run-record.js';

/** A streaming run whose partial answer is checkpointed. */
interface Watched {
  run: RecordedRun;
  output: AgentOutput;
  onLeaseLost: () => void;
  /** When it was last written (or began), epoch ms. */
  savedAt: number;
  /** The output's lengths when last written. */
  saved: string;
  stopped: boolean;
}

/**
 * Writes streaming runs' partial answers to their run rows, so that a crash loses at most about one
 * interval of text: a run is written once a full `intervalMs` has passed since it began or was last
 * written, and only if its answer changed (a run shorter than one interval writes none).
 *
 * Every run due at a tick is written in one transaction. One timer and one commit per tick for all
 * runs, where one timer and one commit per run per interval was most of what slow streams cost the
 * store: with a thousand answers streaming, a thousand commits a second (a commit is ~90 µs of
 * SQLite's time, a statement inside a transaction 10–16 µs). A write that finds its run taken over
 * by another instance calls that run's `onLeaseLost` and writes it no more.
 */
export class Checkpoints {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;
  /** The batch being written, if any; `stop` waits for it. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Checkpoints the run's `output` from now on; `stop` ends that and waits for a write in flight. */
  watch(run: RecordedRun, output: AgentOutput, onLeaseLost: () => void): { stop(): Promise<void> } {
    const watched: Watched = { run, output, onLeaseLost, savedAt: Date.now(), saved: '', stopped: false };
    this.watched.add(watched);
    // A tick a quarter interval: a run is written between one and one and a quarter intervals apart.
    this.timer ??= setInterval(() => this.tick(), Math.max(10, this.intervalMs / 4));
    this.timer.unref();
    return {
      stop: async () => {
        this.forget(watched);
        await this.writing;
      },
    };
  }

  private forget(watched: Watched): void {
    watched.stopped = true;
    this.watched.delete(watched);
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = Date.now();
    const due: Watched[] = [];
    for (const watched of this.watched) {
      if (now - watched.savedAt < this.intervalMs) continue;
      const snapshot = sizeOf(watched.output);
      if (snapshot === undefined || snapshot === watched.saved) continue;
      watched.saved = snapshot;
      watched.savedAt = now;
      due.push(watched);
    }
    if (due.length > 0) this.writing = this.writing.then(() => this.write(due));
  }

  /** One transaction for the batch; written as each output stands when the batch's turn comes. */
  private async write(due: Watched[]): Promise<void> {
    const lost: Watched[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const watched of due) {
          if (watched.stopped) continue;
          try {
            await checkpointRun(trx, watched.run, watched.output);
          } catch (error) {
            // The run's row is another instance's now: nothing was written for it; the others go on.
            if (!(error instanceof RunLeaseLost)) throw error;
            lost.push(watched);
          }
        }
      });
    } catch (error) {
      this.logger.warn({ err: error, runs: due.length }, 'checkpoint failed');
    }
    for (const watched of lost) {
      this.forget(watched);
      watched.onLeaseLost();
    }
  }
}

/**
 * The output's lengths, or undefined while it has no part. The output only grows (parts appended,
 * the last one's text extended, a signature added), so its lengths tell a change without
 * serializing it twice.
 */
function sizeOf({ text, parts, usage }: AgentOutput): string | undefined {
  const last = parts.at(-1);
  if (!last) return undefined;
  const lastSize = 'text' in last ? last.text.length + (last.type === 'reasoning' ? (last.signature?.length ?? 0) : 0) : 0;
  return `${text.length}/${parts.length}/${lastSize}/${usage.inputTokens}/${usage.outputTokens}`;
}
