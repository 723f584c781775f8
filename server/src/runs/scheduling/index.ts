/**
 * When a run may execute: the per-provider admission queue (fair priority, round-robin between
 * users), the order of runs within one session, and a run's maximum duration (active time only).
 * Pure in-memory coordination; no store, no model.
 */
export * from './admission.js';
export * from './run-deadline.js';
export * from './session-order.js';
