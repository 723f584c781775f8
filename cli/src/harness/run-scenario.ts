import type { ThreadlineClient } from '@threadline/client';
import { checkExpectations } from './expectations.js';
import type { LoadedScenario } from './load-scenario.js';
import { runTurn, type TurnContext, type TurnOutcome } from './run-turn.js';
import type { ScenarioStep, Turn } from './scenario-schema.js';

/** The verdict on one step (all its repetitions and parallel turns). */
export interface StepResult {
  /** 1-based position in the scenario. */
  index: number;
  name: string;
  passed: boolean;
  /** Unmet expectations and failed actions, each prefixed with its turn's label when there are several. */
  failures: string[];
  durationMs: number;
  turns: TurnOutcome[];
}

/** The verdict on one scenario file. */
export interface ScenarioResult {
  file: string;
  name: string;
  steps: StepResult[];
  durationMs: number;
  /** Why it did not run (the server does not meet its `requires`); absent when it ran. */
  skipped?: string[];
}

/** How a scenario runs. */
export interface ScenarioOptions {
  /** Keep the sessions it creates; by default they are deleted when it passes and archived when it fails. */
  keepSessions: boolean;
}

/** Where to run: the server's base URL, a token, and a client for both. */
export interface Target {
  url: string;
  token: string;
  client: ThreadlineClient;
}

/**
 * Runs a scenario's steps in order. Named sessions are created (sessions.create) on first use and
 * continued by every later turn that names them. `onStep` hears each verdict as soon as it is known.
 */
export async function runScenario(
  loaded: LoadedScenario,
  target: Target,
  onStep: (step: StepResult) => void = () => {},
  options: ScenarioOptions = { keepSessions: false },
): Promise<ScenarioResult> {
  const { scenario, name } = loaded;
  const sessions = new Map<string, Promise<string>>();
  const context: TurnContext = {
    ...target,
    scenarioName: name,
    timeoutMs: scenario.timeoutMs,
    sessionId(sessionName) {
      let id = sessions.get(sessionName);
      if (!id) {
        id = target.client.sessions.create.mutate({ title: `${name}: ${sessionName}`.slice(0, 200) }).then((session) => session.id);
        sessions.set(sessionName, id);
      }
      return id;
    },
  };
  const withDefaults = (turn: Turn): Turn => ({
    ...turn,
    session: turn.session ?? scenario.defaults?.session,
    model: turn.model ?? scenario.defaults?.model,
    agent: turn.agent ?? scenario.defaults?.agent,
  });

  const started = performance.now();
  const steps: StepResult[] = [];
  for (const [position, step] of scenario.steps.entries()) {
    const stepStarted = performance.now();
    const checked: { turn: Turn; outcome: TurnOutcome }[] = [];
    for (let repetition = 1; repetition <= step.repeat; repetition++) {
      const prefix = step.repeat > 1 ? `repetition ${repetition}` : '';
      if (step.kind === 'turn') {
        const turn = withDefaults(step.turn);
        checked.push({ turn, outcome: await runTurn(context, turn, prefix) });
      } else {
        const turns = step.turns.map(withDefaults);
        const outcomes = await runParallel(context, turns, prefix);
        checked.push(...turns.map((turn, index) => ({ turn, outcome: outcomes[index]! })));
      }
    }
    const failures = checked.flatMap(({ turn, outcome }) =>
      checkExpectations(turn, outcome).map((reason) => (outcome.label ? `${outcome.label}: ${reason}` : reason)),
    );
    const result: StepResult = {
      index: position + 1,
      name: stepName(step),
      passed: failures.length === 0,
      failures,
      durationMs: performance.now() - stepStarted,
      turns: checked.map(({ outcome }) => outcome),
    };
    steps.push(result);
    onStep(result);
  }
  if (!options.keepSessions) await tidySessions(target.client, [...sessions.values()], steps);
  return { file: loaded.file, name, steps, durationMs: performance.now() - started };
}

/**
 * Removes the sessions a scenario made (named ones, and those `session: new` turns started) so
 * that runs do not crowd the user's session list: deleted when every step passed, archived (kept
 * for a look, out of the list) when one failed. A session that cannot go (a run still waiting) stays.
 */
async function tidySessions(client: ThreadlineClient, named: Promise<string>[], steps: StepResult[]): Promise<void> {
  const started = steps.flatMap((step) => step.turns.flatMap((turn) => turn.events.flatMap((event) => (event.type === 'run-start' ? [event.sessionId] : []))));
  const ids = new Set([...(await Promise.all(named.map((id) => id.catch(() => undefined)))), ...started].filter((id): id is string => typeof id === 'string'));
  const passed = steps.every((step) => step.passed);
  await Promise.all(
    [...ids].map((sessionId) => (passed ? client.sessions.delete.mutate({ sessionId }) : client.sessions.archive.mutate({ sessionId })).catch(() => undefined)),
  );
}

/**
 * Starts the turns in the listed order, each as soon as the previous one's run has started (so the
 * server sees them in that order and `queued` is predictable), then lets them stream at once.
 */
async function runParallel(context: TurnContext, turns: Turn[], prefix: string): Promise<TurnOutcome[]> {
  const running: Promise<TurnOutcome>[] = [];
  for (const [index, turn] of turns.entries()) {
    const label = [prefix, `turn ${index + 1}${turn.name ? ` (${turn.name})` : ''}`].filter(Boolean).join(', ');
    let started!: () => void;
    const accepted = new Promise<void>((resolve) => (started = resolve));
    running.push(runTurn(context, turn, label, started));
    await accepted;
  }
  return Promise.all(running);
}

function stepName(step: ScenarioStep): string {
  const base = step.name ?? (step.kind === 'turn' ? `send ${JSON.stringify(shorten(step.turn.send))}` : `parallel: ${step.turns.length} turns`);
  return step.repeat > 1 ? `${base} ×${step.repeat}` : base;
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}
