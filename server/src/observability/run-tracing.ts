import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Usage } from '@threadline/shared';
import { ProviderError } from '../providers/types.js';
import { modelNameOf, providerOf, type RunObserver } from './types.js';

/**
 * Runs as OpenTelemetry spans, following the GenAI semantic conventions: a run span (a child of
 * the procedure call that started it, though it outlives it: the run executes after `chat.send`
 * or `chat.stream` has returned its id), under it one `invoke_agent {agent}` span per agent that
 * answers (a handoff starts the next), and under that a `chat {model}` span per model call and an
 * `execute_tool {tool}` span per tool execution. Parents are passed explicitly, never taken from
 * an ambient context, so the run's asynchronous work cannot attach to the wrong trace. Queue
 * positions, the first token and approvals are events on the run span. No message text.
 */
export function runTraceObserver(tracer: Tracer): RunObserver {
  return {
    run(info) {
      const parent = info.origin?.span ? trace.setSpan(ROOT_CONTEXT, info.origin.span) : ROOT_CONTEXT;
      const conversation: Attributes = info.sessionId ? { 'gen_ai.conversation.id': info.sessionId } : {};
      const runSpan = tracer.startSpan(
        `run ${info.agent}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'threadline.run.id': info.runId,
            'threadline.run.resumed': info.resumed,
            'user.id': info.userId,
            'gen_ai.agent.name': info.agent,
            'gen_ai.request.model': modelNameOf(info.model),
            'gen_ai.provider.name': providerOf(info.model),
            ...conversation,
          },
        },
        parent,
      );
      const runContext = trace.setSpan(ROOT_CONTEXT, runSpan);
      let agentSpan: Span | undefined;
      let agentContext: Context = runContext;
      const openAgent = (agent: string, model: string) => {
        agentSpan?.end();
        agentSpan = tracer.startSpan(
          `invoke_agent ${agent}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': agent, 'gen_ai.provider.name': providerOf(model), 'gen_ai.request.model': modelNameOf(model), ...conversation },
          },
          runContext,
        );
        agentContext = trace.setSpan(ROOT_CONTEXT, agentSpan);
      };
      let agent = info.agent;
      let model = info.model;
      let firstQueued = true;
      return {
        queued(position) {
          if (firstQueued) runSpan.addEvent('queued', { 'threadline.queue.position': position });
          firstQueued = false;
        },
        started(resumed) {
          runSpan.addEvent(resumed ? 'resumed' : 'started');
          openAgent(agent, model);
        },
        firstToken() {
          runSpan.addEvent('first_token');
        },
        agentChanged(nextAgent, nextModel) {
          agent = nextAgent;
          model = nextModel;
          openAgent(agent, model);
        },
        modelCall(callModel) {
          const name = modelNameOf(callModel);
          const startedAt = performance.now();
          let firstChunkAt = 0;
          const span = tracer.startSpan(
            `chat ${name}`,
            { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': providerOf(callModel), 'gen_ai.request.model': name, ...conversation } },
            agentContext,
          );
          return {
            firstChunk() {
              firstChunkAt = performance.now();
            },
            retry(retry) {
              span.addEvent('retry', { 'threadline.attempt': retry.attempt, 'error.type': retry.code, 'threadline.retry.delay_ms': Math.round(retry.delayMs), ...(retry.retryAfterMs !== undefined ? { 'threadline.retry_after_ms': retry.retryAfterMs } : {}) });
            },
            end(result) {
              if (result.responseModel) span.setAttribute('gen_ai.response.model', result.responseModel);
              if (result.finishReason) span.setAttribute('gen_ai.response.finish_reasons', [result.finishReason]);
              if (firstChunkAt) span.setAttribute('gen_ai.response.time_to_first_chunk', (firstChunkAt - startedAt) / 1000);
              if (result.usage) span.setAttributes(usageAttributes(result.usage));
              if (result.error !== undefined) {
                const type = result.aborted ? 'aborted' : result.error instanceof ProviderError ? result.error.code : errorName(result.error);
                span.setAttribute('error.type', type);
                if (!result.aborted) span.setStatus({ code: SpanStatusCode.ERROR, message: type });
              }
              span.end();
            },
          };
        },
        toolCall(name, callId) {
          const span = tracer.startSpan(
            `execute_tool ${name}`,
            { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, 'gen_ai.tool.call.id': callId, ...conversation } },
            agentContext,
          );
          return {
            end({ isError }) {
              if (isError) {
                span.setAttribute('error.type', 'tool_error');
                span.setStatus({ code: SpanStatusCode.ERROR });
              }
              span.end();
            },
          };
        },
        approvalAsked(calls) {
          runSpan.addEvent('approval.asked', { 'gen_ai.tool.name': calls.map((call) => call.name), 'gen_ai.tool.call.id': calls.map((call) => call.callId) });
        },
        approvalDecided(call, approved) {
          runSpan.addEvent('approval.decided', { 'gen_ai.tool.name': call.name, 'gen_ai.tool.call.id': call.callId, 'threadline.approved': approved });
        },
        parked() {
          runSpan.setAttribute('threadline.run.status', 'waiting');
          agentSpan?.end();
          runSpan.end();
        },
        ended(end) {
          runSpan.setAttributes({ 'threadline.run.status': end.status, ...usageAttributes(end.usage), ...(end.finishReason ? { 'gen_ai.response.finish_reasons': [end.finishReason] } : {}) });
          if (end.errorCode) {
            runSpan.setAttribute('error.type', end.errorCode);
            if (end.status === 'failed') runSpan.setStatus({ code: SpanStatusCode.ERROR, message: end.errorCode });
          }
          agentSpan?.end();
          runSpan.end();
        },
      };
    },
  };
}

/** Token usage as the GenAI conventions name it. */
function usageAttributes(usage: Usage): Attributes {
  return {
    'gen_ai.usage.input_tokens': usage.inputTokens,
    'gen_ai.usage.output_tokens': usage.outputTokens,
    ...(usage.cachedInputTokens !== undefined ? { 'gen_ai.usage.cache_read.input_tokens': usage.cachedInputTokens } : {}),
    ...(usage.reasoningTokens !== undefined ? { 'gen_ai.usage.reasoning.output_tokens': usage.reasoningTokens } : {}),
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'internal';
}
