import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../store/database.js';
import type { AgentOutput } from '../../store/run-shapes.js';
import { RunLeaseLost } from '../../store/runs.js';
import { checkpointRun, type RecordedRun } from './run-record.js';

/**
 * Writes a streaming run's partial answer to its run row every `intervalMs` when it changed, so a
 * crash loses at most one interval of text. One write at a time; `stop` waits for the last. A write
 * that finds the run taken over by another instance calls `onLeaseLost` and writes no more.
 */
export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private saved = '';

  constructor(
    private readonly db: Kysely<Database>,
    private readonly run: RecordedRun,
    private readonly output: AgentOutput,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly onLeaseLost: () => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.save(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
  }

  private save(): void {
    const { text, parts, usage } = this.output;
    if (parts.length === 0) return;
    // The output only grows (parts appended, the last one's text extended, a signature added), so
    // its lengths tell a change without serializing it twice.
    const last = parts.at(-1)!;
    const lastSize = 'text' in last ? last.text.length + (last.type === 'reasoning' ? (last.signature?.length ?? 0) : 0) : 0;
    const snapshot = `${text.length}/${parts.length}/${lastSize}/${usage.inputTokens}/${usage.outputTokens}`;
    if (snapshot === this.saved) return;
    this.saved = snapshot;
    // Written as the output stands when the write's turn comes (never older than the snapshot).
    this.writing = this.writing
      .then(() => checkpointRun(this.db, this.run, this.output))
      .catch((error) => {
        if (!(error instanceof RunLeaseLost)) return this.logger.warn({ err: error, runId: this.run.id }, 'checkpoint failed');
        clearInterval(this.timer);
        this.onLeaseLost();
      });
  }
}
