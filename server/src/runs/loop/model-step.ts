import type { MessagePart, StreamEvent, Usage } from '@threadline/shared';
import { ProviderError, type ChatModel, type ModelPart, type ModelRequest } from '../../providers/types.js';
import { unobserved, type ModelCallObservation, type ModelCallResult, type RunObservation } from '../../observability/types.js';
import type { AnswerBudget } from './answer-budget.js';
import { transportSafe } from './transport-safe.js';
import type { AgentOutput, StepResult, UsageMeter } from './types.js';
import { addUsage } from './add-usage.js';

/** What a model call streamed before it reported usage (none reported yet: `reported` false). */
interface Unreported {
  chars: number;
  reported: boolean;
}

/**
 * Options of one model call: its text as reasoning, the answer's size budget, the run's observer,
 * the user's usage meter.
 */
export interface ModelStepOptions {
  textAs?: 'text' | 'reasoning';
  budget?: AnswerBudget;
  observer?: RunObservation;
  meter?: UsageMeter;
}

/**
 * Streams one model call into `output` and events: text, reasoning, tool calls, usage, finish.
 * With `textAs: 'reasoning'` the model's text is recorded and streamed as reasoning (a stage whose
 * words are not the answer, such as a planner). A stream without `finish` is a protocol error.
 * `observer` hears of the call (its retries, first chunk, usage and outcome) and of the run's first token.
 */
export async function streamModelStep(
  model: ChatModel,
  request: ModelRequest,
  output: AgentOutput,
  emit: (event: StreamEvent) => void,
  options: ModelStepOptions = {},
): Promise<StepResult> {
  const observer = options.observer ?? unobserved;
  const call = observer.modelCall(model.id);
  const result: ModelCallResult = { usage: null, finishReason: null };
  const observed: ModelRequest = {
    ...request,
    onRetry: ({ attempt, error, retryAfterMs, delayMs }) => call.retry({ attempt, code: error.code, retryAfterMs, delayMs }),
    onResponseModel: (model) => (result.responseModel = model),
  };
  const unreported: Unreported = { chars: 0, reported: false };
  try {
    const step = await streamParts(model, observed, output, emit, options, observer, call, result, unreported);
    call.end(result);
    return step;
  } catch (error) {
    call.end({ ...result, error, aborted: request.signal.aborted });
    // Stopped before the model reported usage (cancelled, over budget, broken): what streamed was paid for.
    if (!unreported.reported && unreported.chars > 0) estimateUnreported(output, model.id, request, unreported.chars);
    throw error;
  }
}

/** The stream itself: parts into `output` and events, the call's usage and finish reason into `result`. */
async function streamParts(
  model: ChatModel,
  request: ModelRequest,
  output: AgentOutput,
  emit: (event: StreamEvent) => void,
  options: ModelStepOptions,
  observer: RunObservation,
  call: ModelCallObservation,
  result: ModelCallResult,
  unreported: Unreported,
): Promise<StepResult> {
  const step: StepResult = { text: '', calls: [] };
  const { budget } = options;
  /** Over budget: the answer ends here, as a model's would at its token limit. */
  const cut = () => {
    step.cut = true;
    output.finishReason = 'length';
    result.finishReason = 'length';
  };
  const markFirstToken = () => {
    if (output.firstTokenAt !== null) return;
    output.firstTokenAt = Date.now();
    observer.firstToken();
  };
  let chunked = false;
  const reasoning = (delta: string) => {
    appendText(output.parts, 'reasoning', delta);
    emit({ type: 'reasoning-delta', delta });
  };
  const ownReasoning = (delta: string) => {
    step.reasoning = (step.reasoning ?? '') + delta;
    reasoning(delta);
  };
  let finished = false;
  for await (const part of model.stream(request)) {
    if (!chunked) {
      chunked = true;
      call.firstChunk();
    }
    if (part.type === 'text-delta' || part.type === 'reasoning-delta') unreported.chars += part.delta.length;
    else if (part.type === 'usage') unreported.reported = true;
    if (options.meter && (part.type === 'text-delta' || part.type === 'reasoning-delta' || part.type === 'tool-call' || part.type === 'usage')) options.meter(model.id, part);
    if (budget && !fits(part, budget)) {
      cut();
      if (!unreported.reported) estimateUnreported(output, model.id, request, unreported.chars);
      // Leaving the loop closes the provider's stream.
      return step;
    }
    switch (part.type) {
      case 'text-delta':
        markFirstToken();
        step.text += part.delta;
        if (options.textAs === 'reasoning') {
          reasoning(part.delta);
          break;
        }
        output.text += part.delta;
        appendText(output.parts, 'text', part.delta);
        emit({ type: 'text-delta', delta: part.delta });
        break;
      case 'reasoning-delta':
        markFirstToken();
        ownReasoning(part.delta);
        break;
      case 'reasoning-signature': {
        // Kept with the reasoning it signs: the part (stored, replayed later) and the step (sent back in the loop).
        const signed = output.parts.findLast((candidate) => candidate.type === 'reasoning');
        if (signed?.type === 'reasoning') signed.signature = part.signature;
        step.reasoningSignature = part.signature;
        break;
      }
      case 'tool-call': {
        markFirstToken();
        const input = transportSafe(part.input);
        step.calls.push({ callId: part.callId, name: part.name, input });
        output.parts.push({ type: 'tool-call', callId: part.callId, name: part.name, input });
        emit({ type: 'tool-call', callId: part.callId, name: part.name, input });
        break;
      }
      case 'usage':
        output.usage = addUsage(output.usage, part.usage);
        result.usage = result.usage ? addUsage(result.usage, part.usage) : part.usage;
        output.usageByModel = { ...output.usageByModel, [model.id]: addUsage(output.usageByModel?.[model.id] ?? { inputTokens: 0, outputTokens: 0 }, part.usage) };
        break;
      case 'finish':
        finished = true;
        output.finishReason = part.finishReason;
        result.finishReason = part.finishReason;
        break;
    }
  }
  if (!finished) {
    throw new ProviderError({ code: 'provider_protocol', message: `${model.id}: stream ended without a finish`, retryable: true });
  }
  return step;
}

/** Characters per token, for what a model streamed but never reported (about four in English). */
const CHARS_PER_TOKEN = 4;

/**
 * A model call stopped before it reported usage (cancelled, cut, over budget) was still paid for:
 * its usage is estimated from the request and what streamed, for the ledger (not the message).
 */
function estimateUnreported(output: AgentOutput, modelId: string, request: ModelRequest, streamedChars: number): void {
  const promptChars = (request.system?.length ?? 0) + JSON.stringify(request.messages).length;
  const estimate: Usage = { inputTokens: Math.ceil(promptChars / CHARS_PER_TOKEN), outputTokens: Math.ceil(streamedChars / CHARS_PER_TOKEN) };
  output.usageByModel = { ...output.usageByModel, [modelId]: addUsage(output.usageByModel?.[modelId] ?? { inputTokens: 0, outputTokens: 0 }, estimate) };
}

/** Takes a part's size from the budget; false when it does not fit. */
function fits(part: ModelPart, budget: AnswerBudget): boolean {
  switch (part.type) {
    case 'text-delta':
    case 'reasoning-delta':
      return budget.spendText(part.delta);
    case 'tool-call':
      return budget.spendJson(part.input);
    default:
      return true;
  }
}

/** Adds a delta to the last part when it is of the same kind (and not signed: a signature covers its text as it is), else starts a new part. */
function appendText(parts: MessagePart[], type: 'text' | 'reasoning', delta: string): void {
  const last = parts.at(-1);
  if (last?.type === type && !(last.type === 'reasoning' && last.signature)) last.text += delta;
  else parts.push({ type, text: delta });
}
