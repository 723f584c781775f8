import type { ChatSendOutput, StreamEvent } from '@threadline/shared';
import type { AgentDefinition } from '../agents/types.js';
import type { ChatModel } from '../providers/types.js';
import type { AgentOutput, LoopPause } from './loop/index.js';
import type { RunObservation } from '../observability/types.js';
import type { RunLease } from '../store/runs.js';
import type { ModelMessage, ModelTool } from '../providers/types.js';
import type { RunBranch } from '../store/run-shapes.js';
import type { RunContext, StopReason } from './record/index.js';

/** A promise with its resolve, for waits that something else ends. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** A run's pause for approvals: the loop's state at the step, and when every call is decided. */
export interface RunPause extends LoopPause {
  /** When undecided calls are denied (epoch ms), or null for never. */
  expiresAt: number | null;
  decided: Deferred<void>;
  /** Resolves when the run has left the pause (stored as running again, or stopped). */
  left: Deferred<void>;
  /** Stored as `waiting` (and the pause announced). */
  stored: boolean;
  /** The run's answer so far, and its active time when it paused. */
  output: AgentOutput;
  activeMs: number;
}

/** A stateless run's conversation as its caller carries it (the OpenAI-compatible API); never stored. */
export interface CarriedConversation {
  /** The turns before the run's message. */
  prior: ModelMessage[];
  /** The turns after it: the answer so far and the caller's results of its own tools' calls. */
  continued: ModelMessage[];
  /** Tools the caller runs itself. */
  clientTools: ModelTool[];
}

/** A run this process holds, from its start (or its resumption after a restart) to its end. */
export interface ActiveRun {
  id: string;
  userId: string;
  sessionId: string | null;
  /** The lease this instance holds the run in: every write of it is conditional on it. */
  lease: RunLease;
  /** The agent answering now (a handoff changes it, and with it `model`). */
  agent: AgentDefinition;
  model: string;
  /** Models that take over, in order, when the run's model fails before its first token (failover). */
  fallbacks?: ChatModel[];
  priority: number;
  /** The session had no title when the run started: its first answer names it. */
  untitled: boolean;
  /** The run created its session (`newSession`): its message is the first there, so beginning it reads no history. */
  sessionCreated?: boolean;
  /** What a stateless run's caller carried beside its message (memory only). */
  carried?: CarriedConversation;
  /** An edit or a regeneration: where its messages go in the session's tree. */
  branch?: RunBranch | null;
  controller: AbortController;
  stop?: StopReason;
  done: Promise<ChatSendOutput>;
  /** Stored begun as it was created (its turn and slot were free): what it answers, read in that transaction. */
  begun?: RunContext;
  /** It has begun executing (it is no longer waiting to start). */
  started?: boolean;
  /** Releases the provider slot it holds (none while queued or waiting for approval). */
  release?: () => void;
  /** Set while the run waits for approvals. */
  pause?: RunPause;
  /** Resolves with the `waiting` outcome when the run next pauses (replaced after each pause). */
  paused: Deferred<ChatSendOutput>;
  /** Publishes one of its events (through its delta coalescer while it executes). */
  emit: (event: StreamEvent) => void;
  /** Its row's writes outside the begin and end transactions, one at a time, in order. */
  writes: Promise<void>;
  /** Tools whose calls run without asking: the session's allowed tools, and those allowed `always` during the run. */
  allowedTools: Set<string>;
  /** Hears of its transitions (logs, metrics, traces). */
  observation: RunObservation;
}
