import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/database.js';
import { updateRun, type RunCheckpoint } from '../store/runs.js';
import type { AgentOutput } from './agent-loop.js';

/**
 * Writes a streaming run's partial answer to its run row every `intervalMs` when it changed, so a
 * crash loses at most one interval of text. One write at a time; `stop` waits for the last.
 */
export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private saved = '';

  constructor(
    private readonly db: Kysely<Database>,
    private readonly runId: string,
    private readonly output: AgentOutput,
    private readonly intervalMs: number,
    private readonly logger: Logger,
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
    const { text, parts, usage, firstTokenAt } = this.output;
    if (parts.length === 0) return;
    const checkpoint: RunCheckpoint = { content: text, parts, usage };
    const snapshot = JSON.stringify(checkpoint);
    if (snapshot === this.saved) return;
    this.saved = snapshot;
    this.writing = this.writing
      .then(() => updateRun(this.db, this.runId, { checkpoint: snapshot, first_token_at: firstTokenAt }))
      .catch((error) => this.logger.warn({ err: error, runId: this.runId }, 'checkpoint failed'));
  }
}
