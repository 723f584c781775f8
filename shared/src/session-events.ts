import { z } from 'zod';
import { StreamEvent } from './events.js';
import { Id } from './ids.js';

/** Runs a `sessions.events` position can name at most (runs of one session not yet fully delivered). */
const MAX_CURSOR_RUNS = 64;
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/**
 * A position in a session's events, as `sessions.events` sends it as the event id: opaque to
 * clients (pass it back as `lastEventId`, tRPC's link does so on reconnect). It says which runs
 * were delivered in full and how far each other run was read:
 * `<run id>` (every run up to it) then `~<run id>.<event id>` or `~<run id>.x` (skipped) per run after it.
 */
export const SessionEventId = z
  .string()
  .max(40 * (MAX_CURSOR_RUNS + 1))
  .regex(new RegExp(`^(${UUID})?(~${UUID}\\.(\\d{1,12}|x))*$`), 'not a sessions.events event id: pass back the id an event came with');
export type SessionEventId = z.infer<typeof SessionEventId>;

/** Follow a session: every run of it as it starts, from any client or instance, and its events. */
export const SessionEventsInput = z.strictObject({
  sessionId: Id,
  /** Resume after this event (tRPC sets it on reconnect); without it, the runs not ended yet and every later one. */
  lastEventId: SessionEventId.nullish(),
});
export type SessionEventsInput = z.infer<typeof SessionEventsInput>;

/** One event of one of the session's runs, as `sessions.events` yields it (tracked with a `SessionEventId`). */
export const SessionEvent = z.object({
  runId: Id,
  /** The event's id within its run (as `runs.events` numbers it). */
  eventId: z.number().int().positive(),
  event: StreamEvent,
});
export type SessionEvent = z.infer<typeof SessionEvent>;
