import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environment, importedPackages, npm, run, versionOf, whileBuildsAreMine } from './helpers/pack.js';
import { startTestServer } from './helpers/server.js';

// Builds @threadline/client, packs it, installs the tarball in a throwaway project and uses it
// there as a consumer would: typechecked by tsc (strict, NodeNext) and run against a live server.

const root = fileURLToPath(new URL('..', import.meta.url));
const clientDir = join(root, 'client');

const consumerTsconfig = {
  compilerOptions: {
    target: 'ES2023',
    // DOM: @trpc/client's own declarations name RequestInfo; with skipLibCheck off they need it.
    lib: ['ES2023', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    verbatimModuleSyntax: true,
    // Off, so tsc checks the package's bundled index.d.ts too.
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out',
    noEmitOnError: true,
  },
  include: ['main.ts'],
};

const consumerProgram = `
import * as threadline from '@threadline/client';
import {
  createThreadlineClient,
  isTerminalEvent,
  limits,
  type RouterInputs,
  type RouterOutputs,
  type StreamEvent,
} from '@threadline/client';

const client = createThreadlineClient({ url: process.env.THREADLINE_URL!, token: process.env.THREADLINE_TOKEN! });

/** The text a stream event adds to the answer. */
function textOf(event: StreamEvent): string {
  switch (event.type) {
    case 'text-delta':
      return event.delta;
    case 'run-error':
      return '[' + event.code + ': ' + event.message + ']';
    default:
      return '';
  }
}

// Never called: if the package's types were any, these lines would not be errors and tsc would fail.
function wrongCalls(): void {
  // @ts-expect-error: no such procedure
  void client.sessions.rename.mutate({ title: 'x' });
  // @ts-expect-error: content is a string
  void client.chat.send.mutate({ content: 42 });
  // @ts-expect-error: no stream event has type 'text'
  const event: StreamEvent = { type: 'text', delta: 'x' };
  // @ts-expect-error: createdAt is a Date
  const createdAt: string = ({} as RouterOutputs['sessions']['get']).createdAt;
  void event, createdAt;
}
void wrongCalls;

const session: RouterOutputs['sessions']['create'] = await client.sessions.create.mutate({ title: 'x' });
const input: RouterInputs['chat']['send'] = { newSession: true, content: 'hi' };
const sent = await client.chat.send.mutate(input);
const streamed = await new Promise<{ types: string[]; text: string; ids: string[] }>((resolve, reject) => {
  const result = { types: [] as string[], text: '', ids: [] as string[] };
  const subscription = client.chat.stream.subscribe(
    { sessionId: session.id, content: 'there', requestId: 'consumer-1' },
    {
      onData({ id, data }) {
        result.ids.push(id);
        result.types.push(data.type);
        result.text += textOf(data);
        if (isTerminalEvent(data)) {
          subscription.unsubscribe();
          resolve(result);
        }
      },
      onError: reject,
    },
  );
});
console.log(JSON.stringify({
  exports: Object.keys(threadline).sort(),
  title: session.title,
  createdAtIsDate: session.createdAt instanceof Date,
  sent: sent.message.content,
  sentSessionCreated: sent.sessionId !== null,
  streamed,
  pageSize: limits.pageSize,
}));
`;

describe('@threadline/client as a packed npm package', () => {
  let workDir: string;
  let consumerDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'threadline-client-pack-'));
    consumerDir = join(workDir, 'consumer');
    const { stdout } = await whileBuildsAreMine(async () => {
      await npm(['run', 'build'], root);
      // --ignore-scripts: the package was just built; prepack would build it again.
      return npm(['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], clientDir);
    });
    const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    expect(packed.files.map((file) => file.path).sort()).toEqual(
      expect.arrayContaining(['dist/index.d.ts', 'dist/index.js', 'package.json']),
    );
    await mkdir(consumerDir);
    await writeFile(join(consumerDir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(join(consumerDir, 'tsconfig.json'), JSON.stringify(consumerTsconfig, null, 2));
    await writeFile(join(consumerDir, 'main.ts'), consumerProgram);
    // Exact versions of what the repository already installed, so the npm cache has them.
    await npm(
      [
        'install',
        join(workDir, packed.filename),
        `typescript@${versionOf('typescript')}`,
        `@types/node@${versionOf('@types/node')}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
      ],
      consumerDir,
    );
  }, 180_000);

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('imports only its declared dependencies: server internals and workspace packages are not referenced', async () => {
    const manifest = JSON.parse(await readFile(join(clientDir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const dependencies = Object.keys(manifest.dependencies).sort();
    expect(dependencies).not.toContain('@threadline/server');
    expect(dependencies).not.toContain('@threadline/shared');
    const installed = join(consumerDir, 'node_modules', '@threadline', 'client', 'dist');
    for (const file of ['index.d.ts', 'index.js']) {
      const imported = importedPackages(await readFile(join(installed, file), 'utf8'));
      expect(imported, file).not.toEqual([]);
      expect(dependencies, file).toEqual(expect.arrayContaining(imported));
      for (const internal of ['@threadline/server', '@threadline/shared', 'kysely', 'pino', 'better-sqlite3', 'pg']) {
        expect(imported, file).not.toContain(internal);
      }
    }
  });

  it('is the library alone: the packed manifest has no bin and none of the CLI’s dependencies', async () => {
    const packed = JSON.parse(await readFile(join(consumerDir, 'node_modules', '@threadline', 'client', 'package.json'), 'utf8')) as {
      bin?: unknown;
      dependencies: Record<string, string>;
    };
    const cli = JSON.parse(await readFile(join(root, 'cli', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const cliOnly = Object.keys(cli.dependencies).filter((name) => !name.startsWith('@threadline/') && !name.startsWith('@trpc/') && name !== 'zod');
    expect(cliOnly).toEqual(expect.arrayContaining(['@clack/prompts', 'commander', 'junit-report-builder', 'yaml']));
    expect(packed.bin).toBeUndefined();
    expect(Object.keys(packed.dependencies).filter((name) => cliOnly.includes(name))).toEqual([]);
    const installed = await readdir(join(consumerDir, 'node_modules'));
    for (const name of ['@clack', 'commander', 'junit-report-builder', 'yaml']) expect(installed, name).not.toContain(name);
  });

  it('typechecks a strict NodeNext consumer, wrong calls included as errors', async () => {
    const tsc = join(consumerDir, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', '.'], { cwd: consumerDir }).catch((error: { stdout: string }) => {
      throw new Error(`tsc failed in the consumer:\n${error.stdout}`);
    });
    expect(stdout).toBe('');
  }, 120_000);

  it('runs the consumer against a live server', async () => {
    await using server = await startTestServer();
    const { stdout } = await run(process.execPath, [join('out', 'main.js')], {
      cwd: consumerDir,
      env: { ...environment, THREADLINE_URL: server.url, THREADLINE_TOKEN: server.token },
      timeout: 30_000,
    });
    const result = JSON.parse(stdout) as { exports: string[]; streamed: { types: string[]; text: string; ids: string[] } };
    expect(result).toMatchObject({
      title: 'x',
      createdAtIsDate: true,
      sent: 'Echo: hi',
      sentSessionCreated: true,
      pageSize: 200,
    });
    expect(result.streamed.text).toBe('Echo: there');
    expect(result.streamed.types[0]).toBe('run-start');
    expect(result.streamed.types.at(-1)).toBe('run-finish');
    expect(result.streamed.ids.every((id) => /^\d+$/.test(id))).toBe(true);
    // What index.js exports at runtime is exactly what index.d.ts declares as values: a name the
    // declarations export without `type` but the JS lacks would typecheck and then fail to link.
    const declarations = await readFile(join(consumerDir, 'node_modules', '@threadline', 'client', 'dist', 'index.d.ts'), 'utf8');
    const exportList = [...declarations.matchAll(/^export \{([^}]*)\};?$/gm)].flatMap((match) => match[1]!.split(','));
    const valueExports = exportList.map((name) => name.trim()).filter((name) => name && !name.startsWith('type '));
    expect(result.exports).toEqual(valueExports.sort());
    expect(result.exports).toEqual([
      'closeThreadlineClient',
      'createThreadlineClient',
      'initialAnswerState',
      'isAnswerEnded',
      'isTerminalEvent',
      'limits',
      'reduceAnswer',
      'runEvents',
      'sessionEvents',
      'streamChat',
    ]);
  }, 60_000);
});
