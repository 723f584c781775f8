import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, type LoadedScenario } from '../cli/src/harness/load-scenario.js';
import { startProcessTarget, type ProcessTarget } from './helpers/process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples', 'scenarios');
/** The agents file examples/scenarios/approvals.yaml asks for (the agent `guarded`). */
const EXAMPLE_AGENTS = join(ROOT, 'examples', 'agents', 'approvals.yaml');

/** The real program, from source: `node --conditions=@threadline/source --import tsx cli/src/main.ts run …`. */
function threadlineRun(args: string[], configHome: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('THREADLINE_')));
  const child = spawn(process.execPath, ['--conditions=@threadline/source', '--import', 'tsx', 'cli/src/main.ts', 'run', ...args], {
    cwd: ROOT,
    env: { ...environment, NO_COLOR: '1', XDG_CONFIG_HOME: configHome },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const connect = (target: ProcessTarget) => ['--url', target.url, '--token', target.token];

describe('threadline run (the scenario harness)', () => {
  let directory: string;
  let server: ProcessTarget;
  /** One local/echo run at a time, for the scenario that expects provider queueing. */
  let limitedServer: ProcessTarget;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'threadline-harness-'));
    [server, limitedServer] = await Promise.all([
      startProcessTarget({ environment: { THREADLINE_AGENTS_FILE: EXAMPLE_AGENTS } }),
      startProcessTarget({ environment: { THREADLINE_CONCURRENCY_LOCAL: '1' } }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([server?.close(), limitedServer?.close()]);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('passes every example scenario: a PASS line per step, a latency table per scenario, JUnit XML', { timeout: 120_000 }, async () => {
    const files = (await readdir(EXAMPLES)).filter((file) => /\.(ya?ml|json)$/.test(file)).sort();
    expect(files.some((file) => file.endsWith('.json'))).toBe(true);
    const scenarios = await Promise.all(files.map((file) => loadScenario(join('examples', 'scenarios', file))));
    // A scenario that requires one local run at a time gets the limited server; the other one reads
    // the example agents file, which approvals.yaml requires.
    const needsLimit = (loaded: LoadedScenario) => loaded.scenario.requires?.concurrency?.local === 1;
    const groups = [
      { target: server, scenarios: scenarios.filter((loaded) => !needsLimit(loaded)), junit: join(directory, 'default.xml') },
      { target: limitedServer, scenarios: scenarios.filter(needsLimit), junit: join(directory, 'limited.xml') },
    ];
    expect(groups.map((group) => group.scenarios.length)).not.toContain(0);

    const runs = await Promise.all(
      groups.map((group) => threadlineRun([...group.scenarios.map((loaded) => loaded.file), ...connect(group.target), '--junit', group.junit, '--keep-sessions'], directory)),
    );
    for (const [index, group] of groups.entries()) {
      const { code, stdout, stderr } = runs[index]!;
      expect({ code, stderr, failures: stdout.match(/^ {2}FAIL .*$/gm) }).toEqual({ code: 0, stderr: '', failures: null });
      const steps = group.scenarios.reduce((sum, loaded) => sum + loaded.scenario.steps.length, 0);
      expect(stdout).toContain(`${group.scenarios.length} scenario${group.scenarios.length === 1 ? '' : 's'}, ${steps} steps: ${steps} passed, 0 failed`);

      const suites = parseXml(await readFile(group.junit, 'utf8'));
      expect(suites).toMatchObject({ name: 'testsuites', attributes: { tests: String(steps), failures: '0' } });
      expect(suites.children.map((suite) => suite.attributes.name)).toEqual(group.scenarios.map((loaded) => loaded.name));

      for (const [position, loaded] of group.scenarios.entries()) {
        // The scenario's block: from its heading to the next blank line after its latency table.
        const block = stdout.slice(stdout.indexOf(`${loaded.name} (${loaded.file})`)).split(/\n\n(?=\S)/)[0]!;
        for (const [stepIndex, step] of loaded.scenario.steps.entries()) {
          expect(block).toMatch(new RegExp(`^ {2}PASS {2}${stepIndex + 1}\\. ${escape(step.name!)}(?: ×${step.repeat})? \\(\\d+ ms\\)$`, 'm'));
        }
        // Every turn counts, repetitions and parallel turns included; refused requests have no total.
        const turns = loaded.scenario.steps.flatMap((step) => Array.from({ length: step.repeat }, () => (step.kind === 'turn' ? [step.turn] : step.turns)).flat());
        const ended = turns.filter((turn) => turn.expect?.status !== 'rejected').length;
        expect(block).toMatch(/^ {2}latency +turns +p50 +p95 +max$/m);
        expect(block).toMatch(new RegExp(`^ {2}total +${ended} +\\d+ ms +\\d+ ms +\\d+ ms$`, 'm'));
        expect(block).toMatch(/^ {2}first token +\d+ +\d+ ms +\d+ ms +\d+ ms$/m);

        const suite = suites.children[position]!;
        expect(suite.attributes).toMatchObject({ tests: String(loaded.scenario.steps.length), failures: '0' });
        const cases = suite.children.filter((child) => child.name === 'testcase');
        expect(cases.map((testCase) => testCase.attributes.name)).toEqual(
          loaded.scenario.steps.map((step, stepIndex) => `${stepIndex + 1}. ${step.name}${step.repeat > 1 ? ` ×${step.repeat}` : ''}`),
        );
        expect(cases.flatMap((testCase) => testCase.children.filter((child) => child.name === 'failure'))).toEqual([]);
      }
    }

    // Named sessions were continued: every turn naming one landed in the same session.
    const { items } = await server.client.sessions.list.query({ limit: 200 });
    const countOf = (title: string) => items.find((session) => session.title === title)?.messageCount;
    expect(countOf('basics: chat')).toBe(6);
    expect(countOf('session queue: shared')).toBe(4);
    expect(countOf('approvals: trusted')).toBe(4);
  });

  // (README's own `threadline run … --start-server` line runs every example on servers it starts: readme-commands.test.ts.)
  it('against a plain server what a scenario requires and the server lacks is skipped with the reason, and no session is left behind', { timeout: 120_000 }, async () => {
    const files = (await readdir(EXAMPLES)).filter((file) => /\.(ya?ml|json)$/.test(file)).map((file) => join('examples', 'scenarios', file));
    const plain = await startProcessTarget({});
    try {
      const junit = join(directory, 'plain.xml');
      const run = await threadlineRun([...files, ...connect(plain), '--junit', junit], directory);
      expect(run.code).toBe(0);
      expect(run.stdout.match(/^ {2}SKIP .*$/gm)).toEqual([
        `  SKIP  this server needs the agent guarded (start it with THREADLINE_AGENTS_FILE=${EXAMPLE_AGENTS}) (or run with --start-server)`,
        '  SKIP  this server needs THREADLINE_CONCURRENCY_LOCAL=1 (the server has 16) (or run with --start-server)',
      ]);
      expect(run.stdout).toMatch(new RegExp(`^${files.length - 2} scenarios, \\d+ steps: \\d+ passed, 0 failed; 2 scenarios skipped$`, 'm'));
      expect((await readFile(junit, 'utf8')).match(/<skipped\/>/g)).toHaveLength(2);
      // Every session a passing scenario made (named ones and `session: new` turns) is gone.
      expect((await plain.client.sessions.list.query({ limit: 200 })).items).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('exits 1 on a failing scenario, names the failing step and its reason, and writes a JUnit failure', { timeout: 60_000 }, async () => {
    const file = join(directory, 'failing.yaml');
    await writeFile(
      file,
      [
        'name: failing on purpose',
        'steps:',
        '  - { name: wrong text, send: hello, expect: { contains: goodbye } }',
        '  - { name: passes, send: fine, expect: { contains: "Echo: fine" } }',
        // A fast answer's events: run-start, its text in one delta, then message-end and finish,
        // which are written together (one turn, one write); cut after message-end, nothing is left to resume.
        '  - { name: cut after the answer arrived, send: /long 5, dropAfterEvents: 3 }',
        '  - { name: not cancelled, send: short, cancelAfterEvents: 40 }',
      ].join('\n'),
    );
    const junit = join(directory, 'failing.xml');
    const { code, stdout } = await threadlineRun([file, ...connect(server), '--junit', junit], directory);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^ {2}FAIL {2}1\. wrong text \(\d+ ms\): text does not contain "goodbye"; text: "Echo: hello"$/m);
    expect(stdout).toMatch(/^ {2}PASS {2}2\. passes \(\d+ ms\)$/m);
    expect(stdout).toMatch(/^ {2}FAIL {2}3\. cut after the answer arrived .*nothing was resumed/m);
    expect(stdout).toMatch(/^ {2}FAIL {2}4\. not cancelled .*before cancelAfterEvents: 40\n {8}status is completed, expected cancelled$/m);
    expect(stdout).toContain('1 scenario, 4 steps: 1 passed, 3 failed');

    const [suite] = parseXml(await readFile(junit, 'utf8')).children;
    expect(suite!.attributes).toMatchObject({ name: 'failing on purpose', tests: '4', failures: '3' });
    const cases = suite!.children.filter((child) => child.name === 'testcase');
    expect(cases.map((testCase) => testCase.attributes.name)).toEqual(['1. wrong text', '2. passes', '3. cut after the answer arrived', '4. not cancelled']);
    const failures = cases.map((testCase) => testCase.children.find((child) => child.name === 'failure'));
    expect(failures[0]!.attributes.message).toBe('text does not contain "goodbye"; text: "Echo: hello"');
    expect(failures[1]).toBeUndefined();
    expect(failures[3]!.text).toContain('status is completed, expected cancelled');
    // A failing scenario's sessions are archived, out of the list but kept for a look.
    // (Each of its four turns started a session of its own; no other test here archives one.)
    expect((await server.client.sessions.list.query({ archived: true, limit: 200 })).items).toHaveLength(4);
  });

  it('answers approvals as a turn says; a call with no decision is denied and fails its step naming the tool, as do unused decisions', { timeout: 60_000 }, async () => {
    const file = join(directory, 'approvals.yaml');
    const calculate = (expression: string) => `'/tool calculator {"expression":"${expression}"}'`;
    await writeFile(
      file,
      [
        'name: approvals on purpose',
        'defaults: { agent: guarded, model: local/echo }',
        'steps:',
        `  - { name: allowed, send: ${calculate('6 * 7')}, approvals: allow, expect: { approvalAsked: calculator, contains: "returned: {" } }`,
        `  - { name: denied, send: ${calculate('1 / 0')}, approvals: [{ deny: not today }], expect: { contains: "denied this call: not today" } }`,
        `  - { name: undecided, send: ${calculate('1 + 1')} }`,
        `  - { name: one decision too many, send: ${calculate('2 + 2')}, approvals: [allow, deny] }`,
        '  - { name: never asked, send: hello, expect: { approvalAsked: calculator } }',
      ].join('\n'),
    );
    const started = Date.now();
    const { code, stdout, stderr } = await threadlineRun([file, ...connect(server), '--keep-sessions'], directory);
    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
    expect(stdout).toMatch(/^ {2}PASS {2}1\. allowed \(\d+ ms\)$/m);
    expect(stdout).toMatch(/^ {2}PASS {2}2\. denied \(\d+ ms\)$/m);
    expect(stdout).toMatch(
      /^ {2}FAIL {2}3\. undecided \(\d+ ms\): calculator\(\{"expression":"1 \+ 1"\}\) waited for approval but the turn gives no decision \(approvals:\); it was denied$/m,
    );
    expect(stdout).toMatch(/^ {2}FAIL {2}4\. one decision too many \(\d+ ms\): approvals: lists 2 decisions, but 1 call waited for approval$/m);
    expect(stdout).toMatch(/^ {2}FAIL {2}5\. never asked \(\d+ ms\): no tool-approval of "calculator" \(approvals asked: none\)$/m);
    expect(stdout).toContain('1 scenario, 5 steps: 2 passed, 3 failed');
    // The undecided call did not leave its run waiting for good: it was denied and the run completed.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect((await server.client.system.status.query()).waitingRuns).toBe(0);
    const { items } = await server.client.sessions.list.query({ limit: 200 });
    const sessions = items.filter((session) => session.title === 'approvals on purpose');
    const answers = await Promise.all(sessions.map(async (session) => (await server.client.sessions.history.query({ sessionId: session.id })).messages.at(-1)));
    expect(answers).toContainEqual(
      expect.objectContaining({ status: 'complete', content: 'Tool calculator failed: "the user denied this call: the scenario gives no decision for this call"' }),
    );
  });

  it('refuses an invalid scenario file with the file, line, column and path of each problem', async () => {
    const file = join(directory, 'invalid.yaml');
    await writeFile(file, ['steps:', '  - send: hello', '    expct: { contains: x }', '  - send: hi', '    expect: { status: done }', '  - name: nothing', '  - send: hey', '    approvals: maybe'].join('\n'));
    const junit = join(directory, 'invalid.xml');
    const { code, stdout, stderr } = await threadlineRun([file, ...connect(server), '--junit', junit], directory);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${file}:3:5: steps[0].expct: Unrecognized key: "expct"`);
    expect(stderr).toContain(`${file}:5:15: steps[1].expect.status: Invalid option: expected one of "completed"|"failed"|"cancelled"|"interrupted"|"rejected"`);
    expect(stderr).toContain(`${file}:6:5: steps[2]: a step needs "send" (one turn) or "parallel" (a list of turns)`);
    expect(stderr).toContain(`${file}:8:5: steps[3].approvals: expected allow, always, deny or { deny: REASON }, or a list of them`);
    expect(existsSync(junit)).toBe(false);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An element of a parsed XML document. */
interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** A small strict XML parser (elements, attributes, text, CDATA): throws on anything malformed. */
function parseXml(source: string): XmlElement {
  let position = 0;
  const fail = (message: string): never => {
    throw new Error(`invalid XML at offset ${position}: ${message}`);
  };
  const skipSpace = () => {
    while (/\s/.test(source[position] ?? '')) position++;
  };
  const decode = (text: string) => {
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(text)) fail('a bare &');
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (_, entity: string) => {
      if (!entity.startsWith('#')) return named[entity]!;
      return String.fromCodePoint(entity[1] === 'x' ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1)));
    });
  };
  const element = (): XmlElement => {
    const open = /^<([A-Za-z_][\w.-]*)/.exec(source.slice(position)) ?? fail('expected an element');
    position += open[0].length;
    const node: XmlElement = { name: open[1]!, attributes: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (source.startsWith('/>', position)) return (position += 2), node;
      if (source[position] === '>') break;
      const attribute = /^([A-Za-z_][\w.:-]*)="([^"<]*)"/.exec(source.slice(position)) ?? fail(`bad attribute in <${node.name}>`);
      if (attribute[1]! in node.attributes) fail(`duplicate attribute ${attribute[1]}`);
      node.attributes[attribute[1]!] = decode(attribute[2]!);
      position += attribute[0].length;
    }
    position++;
    for (;;) {
      if (source.startsWith('<![CDATA[', position)) {
        const end = source.indexOf(']]>', position);
        if (end === -1) fail('unterminated CDATA');
        node.text += source.slice(position + 9, end);
        position = end + 3;
      } else if (source.startsWith('</', position)) {
        if (!source.startsWith(`</${node.name}>`, position)) fail(`expected </${node.name}>`);
        position += node.name.length + 3;
        return node;
      } else if (source[position] === '<') {
        node.children.push(element());
      } else {
        const end = source.indexOf('<', position);
        if (end === -1) fail(`unterminated <${node.name}>`);
        node.text += decode(source.slice(position, end));
        position = end;
      }
    }
  };
  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    position = end === -1 ? fail('unterminated declaration') : end + 2;
  }
  skipSpace();
  const root = element();
  skipSpace();
  if (position !== source.length) fail('content after the root element');
  return root;
}
