import type { ChatModel } from '../../providers/types.js';
import type { RunObservation } from '../../observability/types.js';
import { collectText } from './collect-text.js';
import { parseDirectives } from '../../providers/local/directives.js';
import { isScriptedModel } from './titles.js';

/** Most follow-up questions kept; fewer than the least means none. */
export const MAX_SUGGESTIONS = 4;
const MIN_SUGGESTIONS = 2;
const MAX_SUGGESTION_CHARACTERS = 200;
/** How long the suggestion request may take, ms. */
export const SUGGESTIONS_TIMEOUT_MS = 20_000;

const SUGGESTION_INSTRUCTIONS =
  'You suggest what a user might ask next. Reply with 2 to 4 short follow-up questions, one per line, and nothing else.';

/**
 * Two to four follow-up questions for an answer, from one extra request without tools (the
 * built-in model makes two from the question instead). Never throws: a provider error, a timeout
 * or a reply without usable lines give [].
 */
export async function suggestFollowUps(model: ChatModel, question: string, answer: string, signal: AbortSignal, observer?: RunObservation): Promise<string[]> {
  if (!answer.trim()) return [];
  if (isScriptedModel(model)) return scriptedSuggestions(question);
  const prompt = `User: ${question.slice(0, 2000)}\n\nAssistant: ${answer.slice(0, 4000)}\n\nFollow-up questions the user might ask next (2 to 4, one per line):`;
  try {
    const reply = await collectText(model, {
      system: SUGGESTION_INSTRUCTIONS,
      messages: [{ role: 'user', content: prompt }],
      maxOutputTokens: 200,
      signal: AbortSignal.any([signal, AbortSignal.timeout(SUGGESTIONS_TIMEOUT_MS)]),
    }, observer);
    return parseSuggestions(reply);
  } catch {
    return [];
  }
}

/**
 * What the built-in model suggests (it cannot write questions of its own): follow-ups made from
 * the question's first words, so that suggestions can be seen and tried offline.
 */
export function scriptedSuggestions(question: string): string[] {
  const words = parseDirectives(question).text.replace(/[#*_`>?!.]+/g, ' ').split(/\s+/).filter(Boolean);
  const topic = words.slice(0, 6).join(' ');
  if (!topic) return [];
  return [`Can you tell me more about “${topic}”?`, `What else should I know about “${topic}”?`];
}

/**
 * A reply → questions: one per line, list markers and quotes removed, duplicates dropped. When at
 * least two lines are questions (end with `?`), only those count (a preamble like "Here are some
 * ideas:" is left out). Fewer than two: [].
 */
export function parseSuggestions(reply: string): string[] {
  const lines = reply
    .split('\n')
    .map((line) => line.trim().replace(/^(?:[-*•]|\d+[.)])\s*/, '').replace(/^["“]|["”]$/g, '').trim())
    .filter((line) => line.length > 0 && line.length <= MAX_SUGGESTION_CHARACTERS);
  const questions = lines.filter((line) => line.endsWith('?'));
  const chosen = [...new Set(questions.length >= MIN_SUGGESTIONS ? questions : lines)].slice(0, MAX_SUGGESTIONS);
  return chosen.length >= MIN_SUGGESTIONS ? chosen : [];
}
