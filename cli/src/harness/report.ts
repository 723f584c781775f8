import { styleText } from 'node:util';
import type { ScenarioResult, StepResult } from './run-scenario.js';

type Paint = (format: Parameters<typeof styleText>[0], text: string) => string;

/** Colours for a terminal, plain text otherwise (pipes, CI logs, NO_COLOR). */
export function painter(stream: NodeJS.WriteStream): Paint {
  const enabled = stream.isTTY && !process.env.NO_COLOR;
  return (format, text) => (enabled ? styleText(format, text) : text);
}

/** `  PASS  2. name (45 ms)`, or `  FAIL  …: first reason` followed by one line per further reason. */
export function formatStep(step: StepResult, paint: Paint): string {
  const head = `${step.passed ? paint('green', 'PASS') : paint('red', 'FAIL')}  ${step.index}. ${step.name} (${milliseconds(step.durationMs)})`;
  if (step.passed) return `  ${head}`;
  const [first, ...rest] = step.failures;
  return [`  ${head}: ${first}`, ...rest.map((reason) => `        ${reason}`)].join('\n');
}

/** The nearest-rank percentile (p in 0..100) of some numbers; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

/**
 * Time to first token (first text or reasoning delta) and total time (to the terminal event) over
 * every turn of the scenario, repetitions and parallel turns included, as p50 / p95 / max.
 */
export function latencyTable(result: ScenarioResult): string {
  const turns = result.steps.flatMap((step) => step.turns);
  const ended = turns.filter((turn) => turn.status !== null && turn.status !== 'rejected');
  const rows = [
    ['latency', 'turns', 'p50', 'p95', 'max'],
    row('first token', turns.flatMap((turn) => (turn.firstTokenMs === null ? [] : [turn.firstTokenMs]))),
    row('total', ended.map((turn) => turn.totalMs)),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((cells) => cells[column]!.length)));
  return rows
    .map((cells) => `  ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('   ')}`)
    .join('\n');
}

function row(label: string, values: number[]): string[] {
  if (values.length === 0) return [label, '0', '-', '-', '-'];
  return [label, String(values.length), milliseconds(percentile(values, 50)), milliseconds(percentile(values, 95)), milliseconds(Math.max(...values))];
}

/** `3 scenarios, 14 steps: 13 passed, 1 failed`, and `; 1 scenario skipped` when one did not run. */
export function summary(results: ScenarioResult[]): string {
  const steps = results.flatMap((result) => result.steps);
  const failed = steps.filter((step) => !step.passed).length;
  const skipped = results.filter((result) => result.skipped).length;
  const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
  const ran = `${plural(results.length - skipped, 'scenario')}, ${plural(steps.length, 'step')}: ${steps.length - failed} passed, ${failed} failed`;
  return skipped > 0 ? `${ran}; ${plural(skipped, 'scenario')} skipped` : ran;
}

function milliseconds(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}
