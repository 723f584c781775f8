import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table types. Timestamps are epoch milliseconds (bigint in PostgreSQL, integer in SQLite);
 * booleans are 0/1; JSON columns hold text. Both dialects then share one set of migrations and
 * one set of repositories, and no value changes shape between them.
 */
export interface Database {
  users: UserTable;
  tokens: TokenTable;
  sessions: SessionTable;
  messages: MessageTable;
  runs: RunTable;
  audit_events: AuditEventTable;
  leases: LeaseTable;
  user_limits: UserLimitsTable;
  usage_ledger: UsageLedgerTable;
}

/** One user's overrides of the limit defaults: null = the default, 0 = unlimited. */
export interface UserLimitsTable {
  user_id: string;
  requests_per_minute: number | null;
  runs_per_minute: number | null;
  active_runs: number | null;
  open_streams: number | null;
  tokens_per_day: number | null;
  tokens_per_month: number | null;
  cost_per_month: number | null;
  updated_at: number;
}

/** What one model cost one run: tokens by kind, and the cost at the prices when it was recorded. */
export interface UsageLedgerTable {
  id: string;
  user_id: string;
  run_id: string;
  session_id: string | null;
  agent: string;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_input_tokens: number;
  reasoning_tokens: number;
  cost: number;
  created_at: number;
}

export interface UserTable {
  id: string;
  name: string;
  created_at: number;
}

export interface TokenTable {
  id: string;
  user_id: string;
  /** What the token is for, e.g. `cli` or `web`. */
  label: string;
  /** sha256 of the token, hex. The token itself is never stored. */
  token_hash: string;
  created_at: number;
  revoked_at: number | null;
  /** 1: an operator token (sees every user's figures in `system.operatorStatus`); 0 otherwise. */
  operator: Generated<number>;
}

export interface SessionTable {
  id: string;
  user_id: string;
  title: string | null;
  agent: string;
  model: string | null;
  /** JSON object. */
  metadata: string;
  archived: number;
  created_at: number;
  updated_at: number;
  last_message_at: number | null;
  /** last_message_at, or created_at before the first message: the sort key of `sessions.list`. */
  activity_at: number;
  message_count: number;
  /** What a message sent while a run is active does: enqueue | reject | interrupt. */
  busy_policy: Generated<string>;
  /** JSON array: tools whose calls in this session run without asking for approval. */
  allowed_tools: Generated<string>;
}

export interface MessageTable {
  id: string;
  session_id: string;
  user_id: string;
  run_id: string | null;
  role: string;
  content: string;
  /** JSON array of MessagePart. */
  parts: string;
  agent: string | null;
  model: string | null;
  /** JSON Usage or null. */
  usage: string | null;
  status: string;
  created_at: number;
  /** JSON array of follow-up questions, or null when the agent makes none. */
  suggestions: string | null;
  /** The message this one follows in its branch; null for a first message. */
  parent_id: string | null;
  /** 1 when the message is on the session's active branch, else 0. */
  active: Generated<number>;
  /** The user's rating of an answer: up | down, or null. */
  rating: string | null;
  rating_comment: string | null;
  /** When the rating was given (epoch ms). */
  rated_at: number | null;
}

export interface RunTable {
  id: string;
  user_id: string;
  session_id: string | null;
  request_id: string | null;
  status: string;
  agent: string;
  model: string;
  usage: string | null;
  finish_reason: string | null;
  /** JSON RunError or null. */
  error: string | null;
  queued_at: number;
  started_at: number | null;
  first_token_at: number | null;
  ended_at: number | null;
  /** The user's message, stored with the run so a run that never began still has it. */
  content: string | null;
  /** 1 (first) .. 10 (last). */
  priority: Generated<number>;
  /** JSON {content, parts, usage} of the partial answer, written periodically while it streams. */
  checkpoint: string | null;
  /** JSON ParkedRun while the run is `waiting` for approvals (see runs/record/shapes.ts), else null. */
  waiting: string | null;
  /** The instance holding the run while it is unfinished (see cluster/). */
  owner: string | null;
  /** Why a cancelled run was cancelled; null otherwise. */
  cancel_reason: string | null;
  /** The fencing token of the owner's hold: one more at every takeover. */
  epoch: Generated<number>;
  /** JSON RunBranch for a run that edits a question or regenerates an answer, else null. */
  branch: string | null;
}

export type UserRow = Selectable<UserTable>;
export type TokenRow = Selectable<TokenTable>;
export type SessionRow = Selectable<SessionTable>;
export type NewSessionRow = Insertable<SessionTable>;
export type SessionUpdate = Updateable<SessionTable>;
export type MessageRow = Selectable<MessageTable>;
export type NewMessageRow = Insertable<MessageTable>;
export type RunRow = Selectable<RunTable>;
export type NewRunRow = Insertable<RunTable>;
export type RunUpdate = Updateable<RunTable>;
export type UsageLedgerRow = Selectable<UsageLedgerTable>;

/** One entry of the audit trail (append-only: the database refuses UPDATE and DELETE). */
export interface AuditEventTable {
  id: string;
  at: number;
  /** `cli` (an operator at the command line), `user` (a token's owner over HTTP) or `server` (the server itself). */
  actor_kind: string;
  /** The OS user, the user's name, or the instance id. */
  actor: string;
  actor_user_id: string | null;
  actor_token_id: string | null;
  /** `cli@<hostname>`, the remote address of an HTTP request, or `server@<instance id>`. */
  origin: string;
  /** `<resource>.<verb>`, e.g. `token.revoke`. */
  action: string;
  target: string | null;
  /** JSON object, never with secrets. */
  details: string;
}

/** A named lease: `holder` has it until `expires_at` (epoch ms). */
export interface LeaseTable {
  name: string;
  holder: string;
  expires_at: number;
}

export type AuditEventRow = Selectable<AuditEventTable>;
