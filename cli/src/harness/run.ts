import { resolveConnection, type ConnectionOptions } from '../connection.js';
import { describeError } from '../errors.js';
import { writeJunitReport } from './junit.js';
import { loadScenario, ScenarioFileError, type LoadedScenario } from './load-scenario.js';
import { formatStep, latencyTable, painter, summary } from './report.js';
import { runScenario, type ScenarioResult } from './run-scenario.js';

/** Options of `threadline run`. */
export interface RunScenariosOptions extends ConnectionOptions {
  /** Also write a JUnit XML report here. */
  junit?: string;
}

/**
 * `threadline run FILE...`: validates every scenario file first, then runs them one after another
 * against the server, printing a PASS/FAIL line per step and a latency table per scenario.
 * Resolves with the exit code: 0 when every step passed, 1 when any failed, 2 when a file is
 * invalid or the server cannot be used.
 */
export async function runScenarios(files: string[], options: RunScenariosOptions = {}): Promise<number> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const paint = painter(process.stdout);

  const loaded: LoadedScenario[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      loaded.push(await loadScenario(file));
    } catch (error) {
      if (!(error instanceof ScenarioFileError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) {
    process.stderr.write(`invalid scenario file:\n${problems.map((problem) => `  ${problem}`).join('\n')}\n`);
    return 2;
  }

  let target;
  try {
    target = await resolveConnection(options);
    await target.client.sessions.list.query({ limit: 1 });
  } catch (error) {
    process.stderr.write(`threadline: ${describeError(error, target)}\n`);
    return 2;
  }

  const results: ScenarioResult[] = [];
  for (const scenario of loaded) {
    out(paint('bold', `${scenario.name}`) + paint('dim', ` (${scenario.file})`));
    const result = await runScenario(scenario, target, (step) => out(formatStep(step, paint)));
    out();
    out(latencyTable(result));
    out();
    results.push(result);
  }

  const failed = results.some((result) => result.steps.some((step) => !step.passed));
  out(paint(failed ? 'red' : 'green', summary(results)));
  if (options.junit) {
    writeJunitReport(options.junit, results);
    out(`JUnit report: ${options.junit}`);
  }
  return failed ? 1 : 0;
}
