/**
 * The `ai` package's own client side of the UI message stream, for tests in test/ (the package is
 * a dependency of the server, so it resolves from here): the transport useChat uses by default,
 * and its reader of the stream.
 */
export { DefaultChatTransport, readUIMessageStream, UI_MESSAGE_STREAM_HEADERS, type UIMessage, type UIMessageChunk } from 'ai';
