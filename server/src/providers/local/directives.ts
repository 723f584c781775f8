/** The script a user message gives the built-in model. */
export interface EchoScript {
  /** The message without its directives. */
  text: string;
  /** `/long N`: answer with N words instead of the echo. */
  words?: number;
  /** `/slow MS`: delay between words for this reply. */
  delayMs?: number;
  /** `/think TEXT`: stream TEXT as reasoning first. */
  think?: string;
  /** `/tool NAME JSON`: call NAME with the JSON input, then answer with its result. */
  tool?: { name: string; input: unknown };
  /** `/fail KIND`: fail the way a provider would. */
  fail?: FailKind;
}

export type FailKind = 'rate_limit' | 'server' | 'auth' | 'reset';
const failKinds = new Set<string>(['rate_limit', 'server', 'auth', 'reset']);
const DIRECTIVE = /^\/(long|slow|think|tool|fail)(?=\s|$)/;

/**
 * Reads directives from the start of a message. Each takes its arguments: `/long N`, `/slow MS`,
 * `/fail KIND`, `/tool NAME JSON` (one JSON value), `/think TEXT` (up to the next directive or line
 * end). Parsing stops at the first thing that is not a well-formed directive; the rest is the text.
 */
export function parseDirectives(message: string): EchoScript {
  const script: EchoScript = { text: '' };
  let rest = message.trimStart();
  for (;;) {
    const match = DIRECTIVE.exec(rest);
    if (!match) break;
    const name = match[1];
    const after = rest.slice(match[0].length).trimStart();
    const consumed = readArgument(name!, after, script);
    if (consumed === undefined) break;
    rest = after.slice(consumed).trimStart();
  }
  script.text = rest;
  return script;
}

/** Applies one directive's argument; returns how many characters it used, or undefined if malformed. */
function readArgument(name: string, input: string, script: EchoScript): number | undefined {
  if (name === 'long' || name === 'slow') {
    const number = /^\d{1,6}(?=\s|$)/.exec(input);
    if (!number) return undefined;
    if (name === 'long') script.words = Number(number[0]);
    else script.delayMs = Number(number[0]);
    return number[0].length;
  }
  if (name === 'fail') {
    const kind = /^\w+/.exec(input);
    if (!kind || !failKinds.has(kind[0])) return undefined;
    script.fail = kind[0] as FailKind;
    return kind[0].length;
  }
  if (name === 'think') {
    const end = input.search(/\n|\s\/(long|slow|think|tool|fail)(?=\s|$)/);
    const text = end === -1 ? input : input.slice(0, end);
    script.think = text.trim();
    return text.length;
  }
  const tool = /^([A-Za-z0-9_.-]+)\s*/.exec(input);
  if (!tool) return undefined;
  const json = readJsonValue(input.slice(tool[0].length));
  if (!json) return undefined;
  script.tool = { name: tool[1]!, input: json.value };
  return tool[0].length + json.length;
}

/** One JSON value at the start of `input`: an object or array (brackets balanced), else one word. */
function readJsonValue(input: string): { value: unknown; length: number } | undefined {
  let end = -1;
  if (input.startsWith('{') || input.startsWith('[')) {
    let depth = 0;
    let inString = false;
    for (let index = 0; index < input.length && end === -1; index++) {
      const character = input[index];
      if (inString) {
        if (character === '\\') index++;
        else if (character === '"') inString = false;
      } else if (character === '"') inString = true;
      else if (character === '{' || character === '[') depth++;
      else if ((character === '}' || character === ']') && --depth === 0) end = index + 1;
    }
  } else {
    end = input.search(/\s|$/);
  }
  if (end <= 0) return undefined;
  try {
    return { value: JSON.parse(input.slice(0, end)), length: end };
  } catch {
    return undefined;
  }
}
