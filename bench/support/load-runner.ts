import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Target } from './targets.js';

const LOAD_SCRIPT = fileURLToPath(new URL('../load.mjs', import.meta.url));

/** What one load asks of a target: the options bench/load.mjs takes, less where the target is. */
export interface LoadRequest {
  /** Streams open at once. */
  concurrency: number;
  /** Times to open `concurrency` streams and wait for all of them. */
  rounds: number;
  /** The model (the relay's provider model, or Threadline's `provider/model`). */
  model?: string;
  /** The user message. */
  content: string;
  /** Threadline: each message starts a stored session (default, as the relay stores each exchange); false: stateless runs. */
  newSession?: boolean;
  /** Most requests waiting for their response headers at once. */
  openingLimit?: number;
  /** Progress line period, ms (0: none). */
  progressMs?: number;
}

/** Counts the load generator reports while it runs. */
export interface LoadProgress {
  /** Requests sent whose response headers have not come yet. */
  opening: number;
  /** Streams whose headers came and that have not ended. */
  open: number;
  done: number;
  errors: number;
  tokens: number;
  frames: number;
}

/** What the load generator measured. */
export interface LoadResult {
  streams: number;
  errors: number;
  /** The first few error messages. */
  errorSamples: string[];
  /** Words of answer text received, over every stream. */
  tokens: number;
  /** SSE messages received (Threadline merges deltas of one tick into one frame). */
  frames: number;
  /** Per stream, ms from the request's start to its first text token. */
  ttftMs: number[];
  durationMs: number;
}

/** Runs bench/load.mjs in its own process against `target`; `onProgress` sees its progress lines. */
export function runLoad(target: Target, request: LoadRequest, onProgress?: (progress: LoadProgress) => void): Promise<LoadResult> {
  const options = { target: target.kind, url: target.url, token: target.token, ...request };
  const child = spawn(process.execPath, [LOAD_SCRIPT, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  let stderr = '';
  let result: LoadResult | undefined;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) !== -1) {
      const line = JSON.parse(pending.slice(0, newline)) as { progress?: LoadProgress; result?: LoadResult };
      pending = pending.slice(newline + 1);
      if (line.progress) onProgress?.(line.progress);
      if (line.result) result = line.result;
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`the load generator exited with code ${code}:\n${stderr}`));
    });
  });
}
