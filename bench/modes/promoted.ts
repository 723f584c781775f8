/**
 * `npm run bench -- promoted`: what a load leaves to V8's old generation, by allocation site.
 *
 * A stream that waits between tokens keeps what it allocated for one token until the next; when
 * that wait outlasts two young-generation collections, those objects are promoted and die in the
 * old generation, which grows until a major collection: the peak RSS of slow streams. This mode
 * starts the fake provider and Threadline (or, with `--relay`, the floor) under `--inspect`, runs
 * the load's warm-up, then samples allocations with V8's sampling heap profiler for `--seconds`
 * while the measured rounds run, keeping only objects that survived young collections
 * (`includeObjectsCollectedByMajorGC`, not `...ByMinorGC`), and prints MB per 1,000 tokens
 * delivered in the window, by package and by allocation site (three frames).
 *
 * Flags: `--load 5|50|1000|CxW@D` (default 1000), `--relay`, `--seconds N` (default 15),
 * `--top N` (sites, default 25). Sampling adds a little CPU; read the sizes, not the timings.
 */
import WebSocket from 'ws';
import { numberOption, textOption, type BenchArguments } from '../support/arguments.js';
import { type CallFrame, frameName, packageOf } from '../support/call-frames.js';
import { runLoad } from '../support/load-runner.js';
import { startFakeProvider, startRelay, startThreadline } from '../support/targets.js';
import { customLoad, LOADS } from './compare.js';

export const description = 'what a load promotes to the old generation (sampling heap profiler), by package and allocation site';

interface SamplingNode {
  callFrame: CallFrame;
  selfSize: number;
  children: SamplingNode[];
}

/** The DevTools protocol over the inspector's WebSocket: one call at a time is all this needs. */
async function connect(url: string) {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
  let id = 0;
  const pending = new Map<number, (result: unknown) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  return {
    call: <T>(method: string, params: object = {}) =>
      new Promise<T>((resolve) => {
        pending.set(++id, resolve as (result: unknown) => void);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** A frame's package; one without a URL is V8's own (the heap profiler's `(root)`, `(V8 API)`). */
const packageOfFrame = (frame: CallFrame) => packageOf(frame, { nodeDepth: 3, withoutUrl: () => '(V8)' });

export async function run(args: BenchArguments): Promise<void> {
  const loadName = textOption(args, 'load', 'BENCH_PROFILE_LOAD') ?? '1000';
  const shape = LOADS[loadName] ?? customLoad(loadName);
  if (!shape) throw new Error(`--load: one of ${Object.keys(LOADS).join(', ')}, or CxW@D`);
  const seconds = numberOption(args, 'seconds', 'BENCH_SAMPLE_SECONDS', 15);
  const top = numberOption(args, 'top', 'BENCH_TOP', 25);
  const relay = args.flags.has('relay');

  const provider = await startFakeProvider();
  try {
    const nodeArguments = ['--inspect=127.0.0.1:0'];
    const target = relay ? await startRelay(provider.baseUrl, nodeArguments) : await startThreadline({ store: 'sqlite', providerUrl: provider.baseUrl, nodeArguments });
    try {
      const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(target.stderr())?.[1];
      if (!inspector) throw new Error('the server did not print its inspector address');
      const model = `${relay ? '' : 'openai/'}bench-${shape.words}x${shape.delayMs}`;
      const request = { concurrency: shape.concurrency, model, newSession: true, content: 'Tell me something.' };
      await runLoad(target, { ...request, rounds: shape.warmUpRounds, progressMs: 0 });
      // The measured rounds run long enough to hold the sampling window, a little after they start.
      const rounds = Math.max(shape.rounds, Math.ceil((seconds * 1000 + 4000) / (shape.words * shape.delayMs + 500)));
      let tokens = 0;
      const load = runLoad(target, { ...request, rounds, progressMs: 250 }, (progress) => (tokens = progress.tokens));
      const devtools = await connect(inspector);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await devtools.call('HeapProfiler.enable');
      await devtools.call('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
      const tokensBefore = tokens;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const { profile } = await devtools.call<{ profile: { head: SamplingNode } }>('HeapProfiler.stopSampling');
      const tokensIn = Math.max(1, tokens - tokensBefore);
      devtools.close();
      const result = await load;

      const bySite = new Map<string, number>();
      const byPackage = new Map<string, number>();
      let total = 0;
      const walk = (node: SamplingNode, stack: string[]) => {
        const here = [frameName(node.callFrame), ...stack].slice(0, 3);
        if (node.selfSize > 0) {
          total += node.selfSize;
          const site = here.join(' < ');
          bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
          const name = packageOfFrame(node.callFrame);
          byPackage.set(name, (byPackage.get(name) ?? 0) + node.selfSize);
        }
        for (const child of node.children) walk(child, here);
      };
      walk(profile.head, []);
      const perThousand = (bytes: number) => ((bytes / 1e6) * (1000 / tokensIn)).toFixed(3).padStart(8);
      console.log(`C=${shape.concurrency} ${shape.words}@${shape.delayMs}ms, ${relay ? 'the relay floor' : 'Threadline on sqlite'}: ${seconds} s sampled, ${tokensIn} tokens delivered in it (${result.errors} errors in the load)`);
      console.log(`survived young collections: ${(total / 1e6).toFixed(1)} MB, ${perThousand(total).trim()} MB per 1,000 tokens`);
      console.log('\nby package (MB per 1,000 tokens)');
      for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${perThousand(bytes)}  ${name}`);
      console.log('\nby allocation site (MB per 1,000 tokens)');
      for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${perThousand(bytes)}  ${site}`);
    } finally {
      await target.stop();
    }
  } finally {
    await provider.stop();
  }
}
