import type { DestinationStream } from 'pino';

/** A parsed log line. */
export type LogLine = Record<string, unknown> & { msg: string; level: number };

/** A pino destination that keeps every line, raw and parsed, for a test to read. */
export interface LogCapture {
  destination: DestinationStream;
  /** Every line written so far, as written (after redaction). */
  raw: string[];
  lines(): LogLine[];
  /** The lines with this message. */
  withMessage(message: string): LogLine[];
}

export function captureLogs(): LogCapture {
  const raw: string[] = [];
  const lines = () => raw.map((line) => JSON.parse(line) as LogLine);
  return {
    destination: { write: (line: string) => void raw.push(line) },
    raw,
    lines,
    withMessage: (message) => lines().filter((line) => line.msg === message),
  };
}
