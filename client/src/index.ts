export { createThreadlineClient, type ThreadlineClient, type ThreadlineClientOptions } from './client.js';
export type { AppRouter, RouterInputs, RouterOutputs } from './types.js';
export type {
  Message,
  MessagePart,
  Run,
  RunError,
  RunErrorCode,
  RunStatus,
  Session,
  StreamEvent,
  StreamEventOf,
  StreamEventType,
  TerminalEvent,
  ThreadlineErrorData,
  Usage,
} from '@threadline/shared';
export { isTerminalEvent, limits } from '@threadline/shared';
