import { parseDirectives } from '../../providers/local/directives.js';
import type { ChatModel } from '../../providers/types.js';
import { collectText } from './collect-text.js';
import type { RunObservation } from '../../observability/types.js';

/** Most words of a generated title. */
export const TITLE_MAX_WORDS = 6;
const TITLE_MAX_CHARACTERS = 80;
/** How long a title request may take before it is given up, ms. */
export const TITLE_TIMEOUT_MS = 30_000;

const TITLE_INSTRUCTIONS =
  'You name conversations. Reply with a title of at most 6 words for the conversation you are given: no quotes, no final punctuation, nothing else.';

/** True for the built-in scripted model, which cannot write a title or a suggestion of its own. */
export function isScriptedModel(model: ChatModel): boolean {
  return model.id.startsWith('local/');
}

/**
 * A short title for a conversation after its first exchange. With `words`, or with the built-in
 * model, it is the first words of the user's message (directives left out); with `model` the model
 * is asked with a small prompt, falling back to the first words when it fails or says nothing usable.
 */
export async function generateTitle(
  mode: 'words' | 'model',
  model: ChatModel,
  question: string,
  answer: string,
  signal: AbortSignal,
  observer?: RunObservation,
): Promise<string> {
  const fallback = titleFromText(question);
  if (mode === 'words' || isScriptedModel(model)) return fallback;
  const prompt = `User: ${question.slice(0, 2000)}\n\nAssistant: ${answer.slice(0, 2000)}\n\nTitle (at most ${TITLE_MAX_WORDS} words):`;
  try {
    const text = await collectText(model, { system: TITLE_INSTRUCTIONS, messages: [{ role: 'user', content: prompt }], maxOutputTokens: 24, signal }, observer);
    return cleanTitle(text) || fallback;
  } catch {
    signal.throwIfAborted();
    return fallback;
  }
}

/** The first words of a message, directives and markup left out; "New conversation" when none. */
export function titleFromText(text: string): string {
  const words = parseDirectives(text).text.replace(/[#*_`>]/g, ' ').split(/\s+/).filter(Boolean);
  return limit(words) || 'New conversation';
}

/** A model's reply → a title: its first line, without quotes, a "Title:" label or final punctuation, at most 6 words. */
export function cleanTitle(raw: string): string {
  const line = raw.split('\n').map((candidate) => candidate.trim()).find(Boolean) ?? '';
  const unlabelled = line.replace(/^title\s*:\s*/i, '').replace(/^["'“”*_`]+|["'“”*_`]+$/g, '').replace(/[.!:;,]+$/, '');
  return limit(unlabelled.split(/\s+/).filter(Boolean));
}

function limit(words: string[]): string {
  const title = words.slice(0, TITLE_MAX_WORDS).join(' ');
  return title.length > TITLE_MAX_CHARACTERS ? `${title.slice(0, TITLE_MAX_CHARACTERS - 1)}…` : title;
}
