import type { Logger } from 'pino';
import { ProviderError } from '../providers/types.js';
import { modelNameOf, providerOf, type RunObserver } from './types.js';

/**
 * One log line per run transition and per provider request: created, queued (with its position),
 * started, first token (with its latency), each tool call, approvals asked and decided, ended (with
 * status, usage, duration and error code); each provider request's outcome. No message text, tool
 * input or user-written reason unless `logContent` (LOG_CONTENT=1).
 */
export function runLogObserver(logger: Logger, logContent: boolean): RunObserver {
  return {
    run(info) {
      const { runId } = info;
      const createdAt = Date.now();
      let startedAt = 0;
      let lastPosition = 0;
      logger.info(
        {
          runId,
          sessionId: info.sessionId,
          userId: info.userId,
          agent: info.agent,
          model: info.model,
          ...(info.origin?.requestId ? { requestId: info.origin.requestId } : {}),
          ...(logContent ? { content: info.content } : {}),
        },
        info.resumed ? 'run held again' : 'run created',
      );
      return {
        queued(position) {
          // The first position at info; later moves (every admission moves every waiter) at debug.
          if (lastPosition === 0) logger.info({ runId, position }, 'run queued');
          else logger.debug({ runId, position }, 'run queue position');
          lastPosition = position;
        },
        started(resumed) {
          startedAt = Date.now();
          logger.info({ runId, resumed, waitedMs: startedAt - createdAt }, resumed ? 'run resumed' : 'run started');
        },
        firstToken() {
          const now = Date.now();
          logger.info({ runId, latencyMs: now - createdAt, sinceStartMs: startedAt ? now - startedAt : null }, 'run first token');
        },
        agentChanged(agent, model) {
          logger.info({ runId, agent, model }, 'run handed off');
        },
        modelCall(model) {
          const provider = providerOf(model);
          const name = modelNameOf(model);
          let callStartedAt = Date.now();
          let attempt = 1;
          return {
            firstChunk() {},
            retry(retry) {
              logger.warn(
                { runId, provider, model: name, attempt: retry.attempt, outcome: 'retry', code: retry.code, retryAfterMs: retry.retryAfterMs ?? null, delayMs: Math.round(retry.delayMs), durationMs: Date.now() - callStartedAt },
                'provider call',
              );
              attempt = retry.attempt + 1;
              callStartedAt = Date.now() + retry.delayMs;
            },
            end(result) {
              const durationMs = Date.now() - callStartedAt;
              if (result.error === undefined) {
                logger.info({ runId, provider, model: name, ...(result.responseModel ? { responseModel: result.responseModel } : {}), attempt, outcome: 'ok', finishReason: result.finishReason, usage: result.usage, durationMs }, 'provider call');
                return;
              }
              const error = result.error;
              const providerError = error instanceof ProviderError ? error : undefined;
              const aborted = result.aborted === true;
              logger[aborted ? 'info' : 'warn'](
                {
                  runId,
                  provider,
                  model: name,
                  attempt,
                  outcome: aborted ? 'aborted' : 'error',
                  code: providerError?.code ?? (aborted ? 'aborted' : 'internal'),
                  ...(providerError?.statusCode ? { statusCode: providerError.statusCode } : {}),
                  retryAfterMs: providerError?.retryAfterMs ?? null,
                  durationMs,
                },
                'provider call',
              );
            },
          };
        },
        toolCall(name, callId, input) {
          const toolStartedAt = Date.now();
          return {
            end({ isError }) {
              logger.info({ runId, tool: name, callId, isError, durationMs: Date.now() - toolStartedAt, ...(logContent ? { input } : {}) }, 'tool call');
            },
          };
        },
        approvalAsked(calls) {
          logger.info({ runId, tools: calls.map((call) => call.name), callIds: calls.map((call) => call.callId) }, 'approval asked');
        },
        approvalDecided(call, approved, reason) {
          logger.info({ runId, tool: call.name, callId: call.callId, approved, ...(logContent && reason ? { reason } : {}) }, 'approval decided');
        },
        parked() {
          logger.info({ runId }, 'run parked, waiting for approval');
        },
        ended(end) {
          logger[end.status === 'failed' ? 'warn' : 'info'](
            {
              runId,
              status: end.status,
              usage: end.usage,
              finishReason: end.finishReason,
              errorCode: end.errorCode,
              durationMs: end.durationMs,
              ...(logContent ? { text: end.text } : {}),
            },
            'run ended',
          );
        },
      };
    },
  };
}
