import { describe, expectTypeOf, it } from 'vitest';
import { createThreadlineClient } from './client.js';
import { initialAnswerState, reduceAnswer } from './answer-state.js';
import type {
  AnswerEndStatus,
  AnswerState,
  Message,
  RouterInputs,
  RouterOutputs,
  Session,
  StreamChatResult,
  StreamEvent,
  StreamEventOf,
  TerminalEvent,
  ToolApproval,
  ToolCallState,
} from './index.js';
import { streamChat } from './stream-chat.js';

// Type-level only: vitest typechecks this file and never runs it.
const client = createThreadlineClient({ url: 'http://127.0.0.1:3000', token: 'tl_x' });

describe('inputs', () => {
  it('chat.send takes the message and an optional session id', () => {
    expectTypeOf<RouterInputs['chat']['send']['content']>().toEqualTypeOf<string>();
    expectTypeOf<Pick<RouterInputs['chat']['send'], 'sessionId'>>().toEqualTypeOf<{ sessionId?: string }>();
    expectTypeOf<true>().toExtend<RouterInputs['chat']['send']['newSession']>();
    expectTypeOf<{ title: string }>().toExtend<RouterInputs['chat']['send']['newSession']>();
  });

  it('chat.stream requires a requestId', () => {
    expectTypeOf<RouterInputs['chat']['stream']['requestId']>().toEqualTypeOf<string>();
  });

  it('rejects wrong calls', () => {
    // @ts-expect-error: content is a string
    void client.chat.send.mutate({ content: 42 });
    // @ts-expect-error: there is no such procedure
    void client.sessions.rename;
    // @ts-expect-error: sessions.list is a query
    void client.sessions.list.mutate;
  });
});

describe('outputs', () => {
  it('sessions carry Dates, not strings (superjson)', () => {
    expectTypeOf<RouterOutputs['sessions']['list']['items'][number]['createdAt']>().toEqualTypeOf<Date>();
    expectTypeOf<RouterOutputs['sessions']['list']['items'][number]>().toEqualTypeOf<Session>();
    expectTypeOf<RouterOutputs['sessions']['list']['nextCursor']>().toEqualTypeOf<string | null>();
    expectTypeOf(client.sessions.create.mutate).returns.resolves.toEqualTypeOf<Session>();
  });

  it('chat.send answers with the assistant message', () => {
    expectTypeOf<RouterOutputs['chat']['send']['message']['content']>().toEqualTypeOf<string>();
    expectTypeOf<RouterOutputs['chat']['send']['sessionId']>().toEqualTypeOf<string | null>();
  });

  it('a paused run names the calls it waits for; runs.approve / runs.deny take them', () => {
    expectTypeOf<RouterOutputs['chat']['send']['approvals']>().toEqualTypeOf<ToolApproval[]>();
    expectTypeOf<RouterOutputs['runs']['approve']['approvals']>().toEqualTypeOf<ToolApproval[]>();
    expectTypeOf<ToolApproval['decision']>().toEqualTypeOf<'pending' | 'approved' | 'denied'>();
    expectTypeOf<RouterInputs['runs']['deny']>().toEqualTypeOf<{ runId: string; callIds?: string[] | undefined; reason?: string | undefined }>();
    expectTypeOf<StreamEventOf<'tool-approval'>>().toEqualTypeOf<{ type: 'tool-approval'; callId: string; name: string; input: unknown }>();
  });
});

describe('stream events', () => {
  it('narrow on type', () => {
    expectTypeOf<StreamEventOf<'text-delta'>>().toEqualTypeOf<{ type: 'text-delta'; delta: string }>();
    expectTypeOf<Extract<StreamEvent, { type: 'text-delta' }>>().toEqualTypeOf<StreamEventOf<'text-delta'>>();
    expectTypeOf<TerminalEvent['type']>().toEqualTypeOf<'run-finish' | 'run-error' | 'run-cancel'>();
    const narrow = (event: StreamEvent) => (event.type === 'text-delta' ? event : null);
    expectTypeOf(narrow).returns.toEqualTypeOf<{ type: 'text-delta'; delta: string } | null>();
  });

  it('chat.stream delivers tracked events: { id, data }', () => {
    client.chat.stream.subscribe(
      { content: 'hi', requestId: 'request-1' },
      {
        onData(event) {
          expectTypeOf(event).toEqualTypeOf<{ id: string; data: StreamEvent }>();
        },
      },
    );
  });
});

describe('streamChat', () => {
  it('takes chat.stream input with an optional requestId, yields StreamEvent and settles with the result', () => {
    const stream = streamChat(client, { newSession: true, content: 'hi' });
    expectTypeOf(stream).toMatchTypeOf<AsyncIterable<StreamEvent>>();
    expectTypeOf(stream.result).resolves.toHaveProperty('status').toEqualTypeOf<'completed' | 'failed' | 'cancelled' | 'interrupted'>();
    expectTypeOf(stream.result).resolves.toHaveProperty('message').toEqualTypeOf<Message | null>();
    expectTypeOf(streamChat).parameter(1).toHaveProperty('requestId').toEqualTypeOf<string | undefined>();
    // @ts-expect-error content is required
    streamChat(client, { newSession: true });
  });
});

describe('reduceAnswer', () => {
  it('folds StreamEvents into an AnswerState, as a reduce callback', () => {
    expectTypeOf(reduceAnswer).parameter(1).toEqualTypeOf<StreamEvent>();
    expectTypeOf(reduceAnswer).returns.toEqualTypeOf<AnswerState>();
    expectTypeOf(([] as StreamEvent[]).reduce(reduceAnswer, initialAnswerState)).toEqualTypeOf<AnswerState>();
    expectTypeOf<AnswerState['message']>().toEqualTypeOf<Message | null>();
    expectTypeOf<ToolCallState['approval']>().toEqualTypeOf<{ decision: ToolApproval['decision']; reason: string | null } | null>();
    // A stream's result has the ending statuses of an answer.
    expectTypeOf<StreamChatResult['status']>().toEqualTypeOf<AnswerEndStatus>();
  });
});

describe('branches and ratings', () => {
  it('messages.edit and messages.regenerate start a run; history messages carry the tree', () => {
    expectTypeOf(client.messages.edit.mutate).parameter(0).toExtend<{ messageId: string; content: string }>();
    expectTypeOf<RouterOutputs['messages']['regenerate']>().toEqualTypeOf<{ runId: string; sessionId: string }>();
    expectTypeOf<RouterOutputs['sessions']['switchBranch']>().toEqualTypeOf<{ sessionId: string; leafId: string }>();
    expectTypeOf<Message['siblingCount']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Message['parentId']>().toEqualTypeOf<string | null | undefined>();
    expectTypeOf<RouterInputs['messages']['rate']['rating']>().toEqualTypeOf<'up' | 'down' | null>();
    // @ts-expect-error: a rating is up, down or null
    void client.messages.rate.mutate({ messageId: 'x', rating: 'meh' });
  });
});
