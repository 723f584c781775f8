import { isDatabaseUnavailable } from '../../store/availability.js';

const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;

/**
 * Runs a write of the run record until it goes through, waiting longer after each failure (200 ms
 * doubling to 5 s) while the database cannot take it (full disk, lost connection, timeout): the
 * run's answer is held in memory meanwhile and stored once the database is back. Any other error,
 * or `giveUp` aborting (the server stops), ends the retries with the last error.
 */
export async function retryWhileUnavailable<T>(write: () => Promise<T>, giveUp: AbortSignal, onRetry: (error: unknown, attempt: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || giveUp.aborted) throw error;
      onRetry(error, attempt);
      const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, backoff);
        giveUp.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timer);
          giveUp.removeEventListener('abort', done);
          resolve();
        }
      });
    }
  }
}
