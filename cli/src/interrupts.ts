/**
 * Routes Ctrl-C (SIGINT) to whatever the CLI is doing: the innermost handler pushed wins (cancel
 * the streaming answer, leave the idle prompt); with none pushed, `fallback` runs.
 */
export class Interrupts implements Disposable {
  private readonly handlers: (() => void)[] = [];
  private readonly listener = () => {
    const handler = this.handlers.at(-1);
    if (handler) handler();
    else this.fallback();
  };

  /** Starts listening for SIGINT; `fallback` handles it when no handler is pushed. */
  constructor(private readonly fallback: () => void) {
    process.on('SIGINT', this.listener);
  }

  /** Makes `handler` receive SIGINT until the returned function is called. */
  push(handler: () => void): () => void {
    this.handlers.push(handler);
    return () => {
      const index = this.handlers.lastIndexOf(handler);
      if (index >= 0) this.handlers.splice(index, 1);
    };
  }

  /** Stops listening: SIGINT gets Node's default behaviour again. */
  [Symbol.dispose](): void {
    process.off('SIGINT', this.listener);
  }
}
