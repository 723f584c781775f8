import type { MessagePart, MessageStatus, Usage } from '@threadline/shared';
import type { LoggedEvent } from '../../events/event-log.js';
import type { AgentOutput, LoopPause } from '../loop/types.js';

/**
 * The JSON shapes of a run's stored columns. The store serializes them (store/runs.ts); the run
 * record (this folder) is the only code that builds them.
 */

/**
 * A run's answer kept on its row: the partial answer while it streams (checkpoints), and the final
 * answer of a stateless run, which has no session to hold it (so a repeated requestId gets it back).
 */
export interface RunCheckpoint {
  content: string;
  parts: MessagePart[];
  usage: Usage;
  /** Set on a stateless run's final answer. */
  message?: { id: string; createdAt: number; status: MessageStatus };
}

/** A `waiting` run as its row keeps it: the loop's pause and everything needed to go on after a restart. */
export interface ParkedRun extends LoopPause {
  /** When undecided calls are denied (epoch ms), or null for never. */
  expiresAt: number | null;
  /** The agent and model answering at the pause (a handoff may have changed them). */
  agent: string;
  model: string;
  output: AgentOutput;
  /** Every event so far, ids included, so readers resume across a restart without a gap. */
  events: LoggedEvent[];
  /** How long the run had been active before it waited (its maximum duration counts active time only). */
  activeMs: number;
}
