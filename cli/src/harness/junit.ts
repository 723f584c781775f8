import junitModule, { type Builder } from 'junit-report-builder';
import { percentile } from './report.js';
import type { ScenarioResult } from './run-scenario.js';

// The package is CommonJS (`module.exports = builder`) but its types declare `export default`, so
// under NodeNext TypeScript expects the builder at `.default` while Node hands it over directly.
const junitReportBuilder = ((junitModule as unknown as { default?: Builder }).default ?? junitModule) as unknown as Builder;

/**
 * Writes a JUnit XML report: one testsuite per scenario (with its file and latency percentiles as
 * properties), one testcase per step; a failed step gets a `<failure>` whose message is its first
 * reason and whose body lists them all; a skipped scenario one `<skipped/>` testcase with its reasons.
 */
export function writeJunitReport(file: string, results: ScenarioResult[]): void {
  const builder = junitReportBuilder.newBuilder().name('threadline scenarios');
  for (const result of results) {
    const suite = builder.testSuite().name(result.name).time(seconds(result.durationMs)).property('file', result.file);
    if (result.skipped) {
      suite.testCase().className(result.name).name('requires').file(result.file).skipped().standardOutput(result.skipped.join('\n'));
      continue;
    }
    const turns = result.steps.flatMap((step) => step.turns);
    const firstTokens = turns.flatMap((turn) => (turn.firstTokenMs === null ? [] : [turn.firstTokenMs]));
    const totals = turns.flatMap((turn) => (turn.status === null || turn.status === 'rejected' ? [] : [turn.totalMs]));
    for (const [name, values] of [['first-token', firstTokens], ['total', totals]] as const) {
      if (values.length === 0) continue;
      suite.property(`latency.${name}.p50-ms`, String(Math.round(percentile(values, 50))));
      suite.property(`latency.${name}.p95-ms`, String(Math.round(percentile(values, 95))));
    }
    for (const step of result.steps) {
      const testCase = suite
        .testCase()
        .className(result.name)
        .name(`${step.index}. ${step.name}`)
        .file(result.file)
        .time(seconds(step.durationMs));
      if (!step.passed) testCase.failure(step.failures[0], 'expectation').stacktrace(step.failures.join('\n'));
    }
  }
  builder.writeTo(file);
}

/** Milliseconds as seconds, to the millisecond. */
function seconds(milliseconds: number): number {
  return Math.round(milliseconds) / 1000;
}
