/**
 * `npm run bench -- profile`: where Threadline's CPU goes under one of the compare loads.
 *
 * Starts the fake provider and Threadline (SQLite unless `--store postgres|redis`) with
 * `node --cpu-prof`, runs the load's warm-up and measured rounds, stops the server (which writes
 * the profile) and prints the samples' self time by package and by function, and inclusive time
 * by function. The profile is kept in bench/results/ for Chrome DevTools or speedscope.
 *
 * Flags: `--load 5|50|1000|CxW@D` (default 50), `--store sqlite|postgres|redis`, `--relay` (profile the
 * floor instead, to compare), `--rounds N`,
 * `--top N` (rows per table, default 30).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberOption, textOption, type BenchArguments } from '../support/arguments.js';
import { type CallFrame, frameName, packageOf } from '../support/call-frames.js';
import { runLoad } from '../support/load-runner.js';
import { startFakeProvider, startRelay, startThreadline, type ThreadlineStore } from '../support/targets.js';
import { customLoad, LOADS } from './compare.js';

export const description = 'Threadline under one compare load with --cpu-prof: self and inclusive time by function and package';

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const STORES: Record<string, ThreadlineStore> = { sqlite: 'sqlite', postgres: 'postgres', redis: 'postgres+redis' };

/** A frame's package; a frame without a URL is a VM marker (`(garbage collector)`, `(program)`) or native code. */
const packageOfFrame = (frame: CallFrame) => packageOf(frame, { nodeDepth: 1, withoutUrl: ({ functionName }) => (functionName.startsWith('(') ? functionName : '(native)') });

function table(title: string, totals: Map<string, number>, all: number, top: number): void {
  console.log(`\n${title}`);
  const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, micros] of rows) {
    console.log(`${((100 * micros) / all).toFixed(1).padStart(6)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`);
  }
}

/** Prints self time by package and function, and inclusive time by function. */
export function summarize(profile: CpuProfile, top: number): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfByNode = new Map<number, number>();
  let all = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + delta);
    all += delta;
  });
  const selfByFunction = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, micros] of selfByNode) {
    const node = byId.get(id)!;
    selfByFunction.set(frameName(node.callFrame), (selfByFunction.get(frameName(node.callFrame)) ?? 0) + micros);
    selfByPackage.set(packageOfFrame(node.callFrame), (selfByPackage.get(packageOfFrame(node.callFrame)) ?? 0) + micros);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at)!.callFrame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
    }
  }
  const idle = selfByFunction.get('(idle) :0') ?? 0;
  console.log(`samples: ${(all / 1000).toFixed(0)} ms, of which idle ${(idle / 1000).toFixed(0)} ms; percentages are of the busy time`);
  const busy = all - idle;
  selfByPackage.delete('(idle)');
  selfByFunction.delete('(idle) :0');
  inclusive.delete('(idle) :0');
  inclusive.delete('(root) :0');
  table('self time by package', selfByPackage, busy, top);
  table('self time by function', selfByFunction, busy, top);
  table('inclusive time by function', inclusive, busy, top);
}

export async function run(args: BenchArguments): Promise<void> {
  const loadName = textOption(args, 'load', 'BENCH_PROFILE_LOAD') ?? '50';
  const shape = LOADS[loadName] ?? customLoad(loadName);
  if (!shape) throw new Error(`--load: one of ${Object.keys(LOADS).join(', ')}`);
  const store = STORES[textOption(args, 'store', 'BENCH_PROFILE_STORE') ?? 'sqlite'];
  if (!store) throw new Error(`--store: one of ${Object.keys(STORES).join(', ')}`);
  const rounds = numberOption(args, 'rounds', 'BENCH_ROUNDS', shape.rounds);
  const top = numberOption(args, 'top', 'BENCH_TOP', 30);
  const relay = args.flags.has('relay');

  const profileDirectory = join(tmpdir(), `threadline-profile-${process.pid}`);
  rmSync(profileDirectory, { recursive: true, force: true });
  const provider = await startFakeProvider();
  try {
    const nodeArguments = ['--cpu-prof', `--cpu-prof-dir=${profileDirectory}`];
    const target = relay ? await startRelay(provider.baseUrl, nodeArguments) : await startThreadline({ store, providerUrl: provider.baseUrl, nodeArguments });
    const model = `${relay ? '' : 'openai/'}bench-${shape.words}x${shape.delayMs}`;
    const request = { concurrency: shape.concurrency, model, newSession: true, content: 'Tell me something.', progressMs: 0 };
    try {
      await runLoad(target, { ...request, rounds: shape.warmUpRounds });
      const load = await runLoad(target, { ...request, rounds });
      console.log(`C=${shape.concurrency} ${shape.words}@${shape.delayMs}ms, ${relay ? 'the relay floor' : `Threadline on ${store}`}: ${load.tokens} tokens, ${load.errors} errors (warm-up included in the profile)`);
    } finally {
      await target.stop();
    }
  } finally {
    await provider.stop();
  }
  const [file] = readdirSync(profileDirectory).filter((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${profileDirectory}`);
  const resultsDirectory = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(resultsDirectory, { recursive: true });
  const kept = join(resultsDirectory, `profile-C${shape.concurrency}-${relay ? 'relay' : store}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  renameSync(join(profileDirectory, file), kept);
  rmSync(profileDirectory, { recursive: true, force: true });
  summarize(JSON.parse(readFileSync(kept, 'utf8')) as CpuProfile, top);
  console.log(`\nprofile: ${kept}`);
}
