import type { ModelPart } from '../types.js';
import type { OpenAIToolCallDelta } from './openai-api.js';

interface PendingCall {
  id: string;
  name: string;
  arguments: string;
}

/** A tool call whose `arguments` are not valid JSON, or that never got a name. */
export class MalformedToolCallError extends Error {
  override readonly name = 'MalformedToolCallError';
}

/**
 * Assembles streamed tool-call fragments by `index`: `id` and `function.name` come on a call's
 * first fragment, `function.arguments` is a JSON text split over any number of fragments. A
 * fragment without `index` (some compatible servers send each call whole) starts its own call, and
 * a call without an id (lax servers) gets a generated one.
 *
 * Malformed arguments are a failure, not a guess: `finish()` throws MalformedToolCallError (mapped to
 * `provider_protocol`, retryable), so no tool runs with an input the model did not give, and an
 * answer that was only that tool call is retried. Empty arguments mean `{}` (llama.cpp and Ollama
 * send `""` for tools without parameters).
 */
export class OpenAIToolCallAssembler {
  private readonly calls = new Map<number, PendingCall>();

  /** Adds the fragments of one chunk. */
  add(fragments: OpenAIToolCallDelta[]): void {
    for (const fragment of fragments) {
      const index = fragment.index ?? this.calls.size;
      let call = this.calls.get(index);
      if (!call) {
        call = { id: '', name: '', arguments: '' };
        this.calls.set(index, call);
      }
      // Some servers repeat id and name on every fragment: the first one wins.
      if (fragment.id && !call.id) call.id = fragment.id;
      if (fragment.function?.name && !call.name) call.name = fragment.function.name;
      if (fragment.function?.arguments) call.arguments += fragment.function.arguments;
    }
  }

  /** The assembled calls in index order, as parts; throws MalformedToolCallError. Empties the assembler. */
  finish(): ModelPart[] {
    const ordered = [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    this.calls.clear();
    return ordered.map((call, position) => {
      if (!call.name) throw new MalformedToolCallError(`tool call ${call.id || position} came without a name`);
      // A lax server may omit the id; the follow-up request needs one to pair the result with the call.
      const callId = call.id || `call_${Date.now().toString(36)}_${position}`;
      return { type: 'tool-call', callId, name: call.name, input: parseArguments(call) };
    });
  }
}

function parseArguments(call: PendingCall): unknown {
  if (call.arguments.trim() === '') return {};
  try {
    return JSON.parse(call.arguments);
  } catch {
    const preview = call.arguments.length > 200 ? `${call.arguments.slice(0, 200)}…` : call.arguments;
    throw new MalformedToolCallError(`the arguments of tool call ${call.id} (${call.name}) are not valid JSON: ${preview}`);
  }
}
