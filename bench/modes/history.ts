import { runHistoryBench } from '../history.js';
import type { BenchArguments } from '../support/arguments.js';

/** `npm run bench -- history`: pages of 50 from a session of 100,000 messages, both dialects (bench/history.ts). */
export const description = 'a history page of 50 from a session of 100,000 messages: p50/p99 per dialect against 5 ms';

export async function run(_args: BenchArguments): Promise<void> {
  await runHistoryBench();
}
