import type { UIMessage } from 'ai';

/** What Threadline puts in an assistant message's metadata (`start` and `finish` chunks). */
export interface ThreadlineMetadata {
  runId: string;
  sessionId?: string | null;
  agent?: string;
  model?: string;
  usage?: { inputTokens: number; outputTokens: number };
}

/** Threadline's data parts: the session and run, the agent answering, the queue position. */
export type ThreadlineData = {
  session: { sessionId: string | null; runId: string };
  agent: { agent: string; model?: string };
  queue: { position: number };
};

/** A chat message as this page holds it. */
export type ChatMessage = UIMessage<ThreadlineMetadata, ThreadlineData>;

/** Where the server is and who we are. */
export interface Connection {
  server: string;
  token: string;
}
