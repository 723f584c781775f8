import { createThreadlineClient } from '@threadline/client';
import { resolveConnection, type ConnectionOptions } from '../connection.js';
import { describeError } from '../errors.js';
import { writeJunitReport } from './junit.js';
import { loadScenario, ScenarioFileError, type LoadedScenario } from './load-scenario.js';
import { formatStep, latencyTable, painter, summary } from './report.js';
import { serverEnvironment, serverFacts, unmetRequirements } from './requirements.js';
import { runScenario, type ScenarioResult, type Target } from './run-scenario.js';
import { startServer } from './started-server.js';

/** Options of `threadline run`. */
export interface RunScenariosOptions extends ConnectionOptions {
  /** Also write a JUnit XML report here. */
  junit?: string;
  /** Start a server for each setup the scenarios need (`requires`), instead of using --url's. */
  startServer?: boolean;
  /** Keep the sessions the scenarios create (by default passing scenarios delete theirs, failing ones archive them). */
  keepSessions?: boolean;
}

/**
 * `threadline run FILE...`: validates every scenario file first, then runs them one after another,
 * printing a PASS/FAIL line per step and a latency table per scenario. A scenario whose `requires`
 * the server does not meet is skipped with the reason; with --start-server each group of scenarios
 * needing the same setup gets a server of its own, started in a temporary data dir. Resolves with
 * the exit code: 0 when every step that ran passed, 1 when any failed, 2 when a file is invalid or
 * the server cannot be used.
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

  const play = async (scenarios: LoadedScenario[], target: Target): Promise<ScenarioResult[]> => {
    const facts = await serverFacts(target.client);
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      out(paint('bold', `${scenario.name}`) + paint('dim', ` (${scenario.file})`));
      const unmet = unmetRequirements(scenario.scenario.requires, facts, scenario.file);
      if (unmet.length > 0) {
        out(`  ${paint('yellow', 'SKIP')}  this server ${unmet.join('; ')}${options.startServer ? '' : ' (or run with --start-server)'}`);
        out();
        results.push({ file: scenario.file, name: scenario.name, steps: [], durationMs: 0, skipped: unmet });
        continue;
      }
      const result = await runScenario(scenario, target, (step) => out(formatStep(step, paint)), { keepSessions: options.keepSessions === true });
      out();
      out(latencyTable(result));
      out();
      results.push(result);
    }
    return results;
  };

  const results: ScenarioResult[] = [];
  if (options.startServer) {
    // One server per setup, in the order the files came.
    const groups = new Map<string, { environment: Record<string, string>; scenarios: LoadedScenario[] }>();
    for (const scenario of loaded) {
      const environment = serverEnvironment(scenario.scenario.requires, scenario.file);
      const key = JSON.stringify(Object.entries(environment).sort());
      if (!groups.has(key)) groups.set(key, { environment, scenarios: [] });
      groups.get(key)!.scenarios.push(scenario);
    }
    for (const { environment, scenarios } of groups.values()) {
      const settings = Object.entries(environment).map(([name, value]) => `${name}=${value}`).join(' ');
      let server;
      try {
        server = await startServer(environment);
      } catch (error) {
        process.stderr.write(`threadline: could not start a server${settings ? ` with ${settings}` : ''}: ${describeError(error)}\n`);
        return 2;
      }
      out(paint('dim', `(a server of its own at ${server.url}${settings ? ` with ${settings}` : ''})`));
      try {
        results.push(...(await play(scenarios, { ...server, client: createThreadlineClient(server) })));
      } finally {
        await server.stop();
      }
    }
  } else {
    let target;
    try {
      target = await resolveConnection(options);
      await target.client.sessions.list.query({ limit: 1 });
    } catch (error) {
      process.stderr.write(`threadline: ${describeError(error, target)}\n`);
      return 2;
    }
    results.push(...(await play(loaded, target)));
  }

  const failed = results.some((result) => result.steps.some((step) => !step.passed));
  out(paint(failed ? 'red' : 'green', summary(results)));
  if (options.junit) {
    writeJunitReport(options.junit, results);
    out(`JUnit report: ${options.junit}`);
  }
  return failed ? 1 : 0;
}
