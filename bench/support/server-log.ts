/** pino's numeric levels, by name. */
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * A server's stderr, summarized: each distinct message (pino JSON lines: level and `msg`, with the
 * error's message when there is one; other lines as they are) with how often it came, most first.
 */
export function summarizeServerLog(stderr: string, limit = 8): string[] {
  const counts = new Map<string, number>();
  for (const line of stderr.split('\n')) {
    if (!line.trim()) continue;
    let key = line.slice(0, 200);
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      key = `${LEVELS[entry.level ?? 0] ?? entry.level} ${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message.slice(0, 160)}` : ''}`;
    } catch {
      // Not JSON: a stack trace or a warning from Node itself.
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([message, count]) => `${count} x ${message}`);
}
