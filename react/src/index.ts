export { ThreadlineProvider, type ThreadlineConnection, type ThreadlineProviderProps } from './provider.js';
export { TRPCProvider, useThreadlineClient, useTRPC } from './context.js';
export { useSessions, type UseSessionsOptions, type UseSessionsResult } from './use-sessions.js';
export { useChat, type ChatRun, type ChatStatus, type SendOptions, type UseChatOptions, type UseChatResult } from './use-chat.js';
export { useHistory } from './use-history.js';
export { describeConnectionProblem, isFetchFailure, useConnectionProblem } from './connection-problem.js';
export type { BranchFrom, PendingSend } from './chat-runs.js';
