/**
 * Following a session: who hears of its new runs (the session feed, across instances) and the
 * follower that merges every run's events into one resumable stream with compact positions.
 */
export * from './session-cursor.js';
export * from './session-feed.js';
export * from './session-follower.js';
