import type { ToolApproval } from '@threadline/shared';
import type { AgentDefinition } from '../../agents/types.js';
import type { ModelToolCall } from '../../providers/types.js';
import { callsNeedingApproval } from '../../agents/approval.js';
import { fitRequest } from './context-budget.js';
import { handoffTarget, handoffTools } from './handoffs.js';
import { streamModelStep } from './model-step.js';
import { runResearch } from './research.js';
import { deniedResult, modelTools, runTool } from './tools.js';
import type { AgentLoopOptions, AgentOutput, LoopPause, StepResult } from './types.js';

/**
 * Calls the model, runs the tools it asks for (in parallel), feeds the results back, and repeats
 * until it answers without tool calls or the agent's step limit is reached. Streams every part as
 * an event. A successful `handoff_to_<agent>` call switches the rest of the run to that agent (its
 * instructions, tools and model) after the step's results, with an `agent-change` event. Calls
 * that need approval pause the step (`awaitApprovals`) before any of its calls run; denied calls
 * get an error result the model sees. Fills `output` as it goes, so a caller that catches a throw
 * still has the partial answer.
 */
export async function runAgentLoop(options: AgentLoopOptions, output: AgentOutput): Promise<void> {
  if (options.agent.workflow === 'research') return runResearch(options, output);
  const { signal, emit, resume } = options;
  const messages = [...options.messages, ...(resume?.turn ?? [])];
  const turnStart = options.messages.length;
  let agent = options.agent;
  let model = options.model;
  /** A paused step's calls, run before the next model call. */
  let paused: StepResult | undefined = resume;

  for (let step = resume?.step ?? 0; step < agent.maxSteps; step++) {
    const tools = [...agent.tools, ...(options.findAgent && options.handoff ? handoffTools(agent, options.findAgent) : [])];
    let result: StepResult;
    if (paused) {
      result = paused;
      paused = undefined;
    } else {
      const described = [...modelTools(tools), ...(options.clientTools ?? [])];
      // Checked before every step: the conversation (and this run's tool results) must fit the model's window.
      const fitted = await fitRequest({ agent, model, system: agent.instructions, messages, tools: described, limits: options.contextLimits, summaries: options.summaries, signal });
      const request = {
        system: fitted.system,
        messages: fitted.messages,
        ...(described.length ? { tools: described } : {}),
        ...(agent.reasoning ? { reasoning: agent.reasoning } : {}),
        ...(agent.maxOutputTokens ? { maxOutputTokens: agent.maxOutputTokens } : {}),
        signal,
      };
      const inputBefore = output.usage.inputTokens;
      result = await streamModelStep(model, request, output, emit, { ...(options.budget ? { budget: options.budget } : {}), ...(options.observer ? { observer: options.observer } : {}), ...(options.meter ? { meter: options.meter } : {}) });
      options.contextLimits?.calibration.observe(model.id, fitted.estimatedTokens, output.usage.inputTokens - inputBefore);
      if (result.cut || result.calls.length === 0) return;
    }
    const { text, calls, reasoning, reasoningSignature } = result;
    // The caller's own tools: the run ends here, their calls are the caller's to answer.
    if (options.clientTools?.some((tool) => calls.some((call) => call.name === tool.name))) {
      output.finishReason = 'tool-calls';
      return;
    }

    const decided = await decide(options, step === resume?.step ? resume.approvals : callsNeedingApproval(agent, tools, calls, options.isAllowed), () => ({
      step,
      turn: messages.slice(turnStart),
      ...result,
    }));
    const context = { userId: options.userId, sessionId: options.sessionId, runId: options.runId, signal };
    const approvalOf = (call: ModelToolCall) => decided.find((candidate) => candidate.callId === call.callId);
    const results = await Promise.all(
      calls.map((call) => {
        const approval = approvalOf(call);
        return approval && approval.decision !== 'approved' ? deniedResult(approval) : runTool(tools, call, context, options.observer);
      }),
    );
    signal.throwIfAborted();
    // The step's reasoning goes back with its calls: Anthropic refuses a tool loop whose thinking (signed) is missing.
    messages.push({ role: 'assistant', content: text, ...(reasoning ? { reasoning } : {}), ...(reasoningSignature ? { reasoningSignature } : {}), toolCalls: calls });
    let next: AgentDefinition | undefined;
    for (const [index, call] of calls.entries()) {
      const result = results[index]!;
      const approval = approvalOf(call);
      const decision = approval && { approved: approval.decision === 'approved', reason: approval.reason };
      output.parts.push({ type: 'tool-result', callId: call.callId, name: call.name, ...result, ...(decision ? { approval: decision } : {}) });
      emit({ type: 'tool-result', callId: call.callId, ...result });
      messages.push({ role: 'tool', callId: call.callId, name: call.name, ...result });
      const target = handoffTarget(call.name);
      if (!next && target && !result.isError) next = options.findAgent?.(target);
    }
    // Results over the answer's budget: they are kept, and the answer ends with them.
    if (options.budget && !options.budget.spendJson(results.map((result) => result.output))) {
      output.finishReason = 'length';
      return;
    }
    if (next && options.handoff) {
      ({ agent, model } = options.handoff(next));
      emit({ type: 'agent-change', agent: agent.name });
    }
  }
}

/** Waits for the user's decisions on `approvals` (none needed: resolves at once). */
async function decide(options: AgentLoopOptions, approvals: ToolApproval[], pauseAt: () => Omit<LoopPause, 'approvals'>): Promise<ToolApproval[]> {
  if (approvals.length === 0) return [];
  if (!options.awaitApprovals) return approvals.map((approval) => ({ ...approval, decision: 'denied', reason: 'approvals are not available here' }));
  return options.awaitApprovals({ ...pauseAt(), approvals });
}
