import { styleText } from 'node:util';

/** How the CLI decorates its output: every function returns its text unchanged when colours are off. */
export interface Style {
  /** True when escape codes are written. */
  readonly enabled: boolean;
  /** Reasoning (`thinking: …`). */
  reasoning(text: string): string;
  /** Tool calls and results (`→ name(input)`, `← output`). */
  tool(text: string): string;
  /** Calls waiting for approval and the decisions (`? name(input) needs your approval`, `✓ allowed name`). */
  approval(text: string): string;
  /** Notes from the CLI itself: cancelled, queued, saved, … */
  notice(text: string): string;
  /** Errors. */
  error(text: string): string;
  /** Headings and the user's own words in the history. */
  strong(text: string): string;
  /** The input prompt. */
  prompt(text: string): string;
}

/**
 * Colours only for a terminal, and never when NO_COLOR is set to anything but the empty string
 * (https://no-color.org).
 */
export function colorsEnabled(stream: NodeJS.WritableStream, environment: NodeJS.ProcessEnv = process.env): boolean {
  if (environment.NO_COLOR) return false;
  return (stream as NodeJS.WriteStream).isTTY === true;
}

type Format = Parameters<typeof styleText>[0];

/** A Style for `stream`: escape codes when colorsEnabled says so, plain text otherwise. */
export function createStyle(stream: NodeJS.WritableStream, environment: NodeJS.ProcessEnv = process.env): Style {
  const enabled = colorsEnabled(stream, environment);
  const paint = (format: Format) => (text: string) => (enabled && text ? styleText(format, text) : text);
  return {
    enabled,
    reasoning: paint(['dim', 'italic']),
    tool: paint('cyan'),
    approval: paint('yellow'),
    notice: paint('dim'),
    error: paint('red'),
    strong: paint('bold'),
    prompt: paint('green'),
  };
}
