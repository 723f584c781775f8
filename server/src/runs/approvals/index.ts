/**
 * Approvals: the gate where a run waits for the user's decisions on tool calls (stored `waiting`
 * through the run record, its provider slot and clock released meanwhile), and the rules for
 * applying a decision (which calls, same way again, the other way, always allow).
 */
export * from './approval-gate.js';
export * from './decisions.js';
