/**
 * The room an answer has left, in bytes (UTF-8 text of deltas, JSON of tool inputs and outputs):
 * one run's answer is cut where it runs out, so a model that never stops (or a tool that returns
 * a flood) cannot fill the server's memory and database. Shared by every step of the run.
 */
export class AnswerBudget {
  constructor(private remaining: number) {}

  /** Takes `bytes` from the budget; false (and nothing taken) when they do not fit. */
  spend(bytes: number): boolean {
    if (bytes > this.remaining) {
      this.remaining = 0;
      return false;
    }
    this.remaining -= bytes;
    return true;
  }

  /** Takes a text's UTF-8 size. */
  spendText(text: string): boolean {
    return this.spend(Buffer.byteLength(text));
  }

  /** Takes a JSON value's serialized size. */
  spendJson(value: unknown): boolean {
    return this.spend(Buffer.byteLength(JSON.stringify(value) ?? ''));
  }

  get exhausted(): boolean {
    return this.remaining === 0;
  }
}
