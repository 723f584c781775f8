/**
 * The run record: a run's stored state and every transition of it (create, begin, checkpoint,
 * park for approvals, resume, end as completed / failed / cancelled / interrupted, interrupt or fail
 * a run a stopped process left behind), the one builder of the stored assistant message and the
 * one builder of terminal events, and how an ended run is read back and replayed from the store.
 * Built on store/; knows nothing of scheduling, the agent loop or the event log.
 */
export * from './checkpointer.js';
export * from './run-ending.js';
export * from './run-errors.js';
export * from './run-record.js';
export * from './stored-outcome.js';
export * from './stored-replay.js';
export * from './store-retry.js';
