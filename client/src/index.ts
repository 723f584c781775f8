export { closeThreadlineClient, createThreadlineClient, type ThreadlineClient, type ThreadlineClientOptions } from './client.js';
export {
  initialAnswerState,
  isAnswerEnded,
  reduceAnswer,
  type AnswerEndStatus,
  type AnswerState,
  type AnswerStatus,
  type ToolCallState,
} from './answer-state.js';
export { runEvents, type RunEventsOptions } from './run-events.js';
export { sessionEvents, type FollowedSessionEvent, type SessionEventsOptions } from './session-events.js';
export { streamChat, type ChatStream, type StreamChatInput, type StreamChatOptions, type StreamChatResult } from './stream-chat.js';
export type {
  Agent,
  AppRouter,
  Message,
  MessagePart,
  Rating,
  RouterInputs,
  RouterOutputs,
  Run,
  RunError,
  RunErrorCode,
  RunStatus,
  SearchHit,
  Session,
  SessionExport,
  SessionEvent,
  StreamEvent,
  StreamEventOf,
  StreamEventType,
  TerminalEvent,
  ThreadlineErrorData,
  ToolApproval,
  Usage,
  UsageSummary,
} from './types.js';
export { isTerminalEvent, limits } from '@threadline/shared';
