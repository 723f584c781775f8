// How long tests wait, in one place. The suite runs on a 2-core CI machine that may be busy with
// other work: there, starting the CLI through tsx alone takes seconds, and a process that should
// react at once may not be scheduled for a while. A wait ends as soon as its condition holds, so a
// generous bound costs a quiet machine nothing; only a real failure waits it out.

/**
 * How long a test waits for something that happens by itself: a spawned process to start, print a
 * line or exit, a run to reach a state, a socket to close. vitest.config.ts makes it the default
 * timeout of `expect.poll`, the way to wait for a condition in a test.
 */
export const PATIENCE_MS = 20_000;

/** How often `expect.poll` checks its condition (vitest.config.ts). */
export const POLL_INTERVAL_MS = 50;

/**
 * How long a test may take by default (vitest.config.ts): room for a few patient waits and several
 * spawned processes on a loaded machine. A test that needs more says so.
 */
export const TEST_TIMEOUT_MS = 60_000;

/**
 * How soon a reaction that takes milliseconds on a quiet machine (an abort reaching a socket) must
 * show on a loaded one. A test bounds a reaction with it only where what it rules out (a stream
 * played to its end, a blocking read waited out) takes clearly longer.
 */
export const REACTION_MS = 1_000;
