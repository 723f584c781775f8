/**
 * Runs: the engine that owns every run of this instance (start, outcome, events, cancel, approve
 * and deny, drain), built from rooms by concern:
 *   record/      the stored run and every transition of it
 *   scheduling/  admission, session order, deadlines
 *   loop/        the agent loop and its features
 *   approvals/   the approval gate and decisions
 *   follow/      following a session: every run as it starts, one resumable stream
 * and, here, the run held in memory (active-run), its execution (run-executor), runs held by other
 * instances (remote-runs) and runs of stopped instances (orphan-runs).
 */
export { RunEngine, type RunEngineDependencies, type RunEngineOptions, type StartRequest } from './engine.js';
export type { FollowedEvent } from './follow/index.js';
