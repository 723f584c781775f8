import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Kernel clock ticks per second (`getconf CLK_TCK`, almost always 100). */
const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time a process (all its threads) has used, user + system, in µs, from /proc/<pid>/stat. */
export function cpuMicroseconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: the fields start after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime) of proc(5); the list starts at field 3 (state).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

/** A process's resident set size (VmRSS) in bytes, or undefined once it has exited. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** How many file descriptors a process has open, or undefined once it has exited. */
export function openFileCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** The pids of a process's children, grandchildren and so on. */
function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const parent = pending.pop()!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(' ').filter(Boolean).map(Number)) {
        found.push(child);
        pending.push(child);
      }
    }
  }
  return found;
}

/** Inodes of the sockets listening on `port` (IPv4 and IPv6), from /proc/net/tcp{,6}. */
function listeningInodes(port: number): Set<string> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      // local_address is column 1 (`ADDR:PORT`), st column 3 (0A = LISTEN), inode column 9.
      if (columns[1]?.endsWith(`:${hexPort}`) && columns[3] === '0A' && columns[9]) inodes.add(columns[9]);
    }
  }
  return inodes;
}

/**
 * The pid that serves `port`: the one, among `rootPid` and its descendants, that holds the
 * listening socket. The process we spawned may be a wrapper (a shell, a launcher that forks the
 * real server); CPU and memory must be read from the server itself.
 */
export function servingPid(rootPid: number, port: number): number {
  const inodes = listeningInodes(port);
  for (const pid of [rootPid, ...descendantsOf(rootPid)]) {
    let descriptors: string[] = [];
    try {
      descriptors = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const descriptor of descriptors) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${descriptor}`));
        if (match && inodes.has(match[1]!)) return pid;
      } catch {
        // The descriptor closed while we looked.
      }
    }
  }
  throw new Error(`no process under pid ${rootPid} listens on port ${port}`);
}

/** One RSS reading. */
export interface RssSample {
  /** Milliseconds since the sampler started. */
  atMs: number;
  bytes: number;
}

/** Samples a process's RSS every `intervalMs` until stopped; `onSample` sees each reading. */
export function sampleRss(pid: number, intervalMs: number, onSample?: (sample: RssSample) => void) {
  const started = performance.now();
  const samples: RssSample[] = [];
  const take = () => {
    const bytes = rssBytes(pid);
    if (bytes === undefined) return;
    const sample = { atMs: performance.now() - started, bytes };
    samples.push(sample);
    onSample?.(sample);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    /** Stops sampling (after one last reading) and returns the peak, in bytes. */
    stop(): number {
      clearInterval(timer);
      take();
      return Math.max(0, ...samples.map((sample) => sample.bytes));
    },
  };
}
