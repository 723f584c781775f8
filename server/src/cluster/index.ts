/**
 * Several instances on one database, through Redis: heartbeats (which instances are alive), a
 * channel for commands about runs another instance holds, and this instance's id. It carries
 * commands; what they do to runs is the run engine's business (runs/remote-runs.ts).
 */
// The cluster itself (and its client, ioredis) is loaded by services.ts only when REDIS_URL is set.
export type { Cluster, ClusterCommand, ClusterOptions, LeaseListener } from './cluster.js';
export * from './instance-id.js';
