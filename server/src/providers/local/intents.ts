/** A tool call the built-in model makes because the message plainly asks for it. */
export interface ToolIntent {
  name: string;
  input: Record<string, unknown>;
}

/** Numbers joined by operators, with optional parentheses: `6 * 7`, `(2 + 3) / 4`, `2^10`. */
const ARITHMETIC = /[(\d.][\d.\s()]*(?:[-+*/×÷^%]\s*[(\d.][\d.\s()]*)+/;
const COMPUTE = /\b(what(?:'s| is)|calculate|compute|evaluate|how much is|work out|solve)\b/i;
const TIME = /\b(what(?:'s| is)? the time|what time|current time|time is it|what(?:'s| is)? the date|today's date|what day is)/i;
const SEARCH = /\b(?:search|look through|find in)\s+(?:my|our)\s+(?:chats?|conversations?|history|messages?)\s+(?:for|about)\s+(.+)$/i;

/**
 * What `local/echo` does with a message when its agent offers tools and no `/tool` directive
 * scripts it: arithmetic goes to the calculator, "what time" to current_time, "search my chats for
 * X" to search_history, as a real model would. Undefined when nothing fits or the tool is not
 * offered. Deterministic, so the README's tool examples work offline.
 */
export function toolIntent(text: string, offered: ReadonlySet<string>): ToolIntent | undefined {
  const search = SEARCH.exec(text.trim());
  if (search && offered.has('search_history')) {
    const query = search[1]!.replace(/[?.!\s]+$/, '').replace(/^["'“]|["'”]$/g, '');
    if (query) return { name: 'search_history', input: { query } };
  }
  if (TIME.test(text) && offered.has('current_time')) return { name: 'current_time', input: {} };
  const arithmetic = ARITHMETIC.exec(text);
  if (arithmetic && offered.has('calculator')) {
    const expression = arithmetic[0].replace(/×/g, '*').replace(/÷/g, '/').trim().replace(/[.\s]+$/, '');
    // A sum asked for ("what is 6 * 7?", "calculate (2+3)/4"), or a message that is little else:
    // not a date or a range in passing ("on 2026-12-01", "pages 3-5 of the report").
    const asked = COMPUTE.test(text) || expression.length >= text.replace(/[?=!.\s]+$/, '').trim().length * 0.6;
    if (asked && /\d\s*[-+*/^%]\s*[(\d.]/.test(expression)) return { name: 'calculator', input: { expression } };
  }
  return undefined;
}
