import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredValueExports, environment, importedPackages, npm, run, versionOf, whileBuildsAreMine } from './helpers/pack.js';

// Builds @threadline/client and @threadline/react, packs both, installs the tarballs with React and
// React Query in a throwaway project and uses the hooks there as a consumer would: typechecked by
// tsc (strict, NodeNext, JSX, the libraries' declarations checked too) and rendered in Node.

const root = fileURLToPath(new URL('..', import.meta.url));
const reactDir = join(root, 'react');

const consumerTsconfig = {
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023', 'DOM'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    jsx: 'react-jsx',
    strict: true,
    verbatimModuleSyntax: true,
    // On: @trpc/server 11's ws adapter declarations (which @trpc/tanstack-react-query reaches) do
    // not compile against @types/ws under NodeNext. The package's own index.d.ts is checked all
    // the same, as a source file of its own (declarationsTsconfig).
    skipLibCheck: true,
    types: ['node'],
    outDir: 'out',
    noEmitOnError: true,
  },
  include: ['main.tsx', 'readme.tsx'],
};

/** A copy of the package's index.d.ts as declarations.ts, checked in full against what it imports. */
const declarationsTsconfig = {
  extends: './tsconfig.json',
  compilerOptions: { verbatimModuleSyntax: false, noEmit: true },
  include: ['declarations.ts'],
};

const consumerProgram = `
import * as threadline from '@threadline/react';
import { ThreadlineProvider, useChat, useSessions, useTRPC, type ChatRun } from '@threadline/react';
import { createThreadlineClient, type AnswerState, type Session } from '@threadline/client';
import { useQuery } from '@tanstack/react-query';
import { renderToString } from 'react-dom/server';

function Sessions({ onOpen }: { onOpen(sessionId: string): void }) {
  const { sessions, create, rename, remove, error } = useSessions({ limit: 20 });
  const first: Session | undefined = sessions[0];
  return (
    <ul data-error={error?.message}>
      {sessions.map((session) => <li key={session.id} onClick={() => onOpen(session.id)}>{session.title ?? 'Untitled'}</li>)}
      <button onClick={async () => { const made = await create(); if (made) await rename(made.id, 'x'); if (first) await remove(first.id); }}>New</button>
    </ul>
  );
}

function Chat({ sessionId }: { sessionId: string }) {
  const chat = useChat({ sessionId, storage: null });
  const trpc = useTRPC();
  const session = useQuery(trpc.sessions.get.queryOptions({ sessionId }));
  const created: Date | undefined = session.data?.createdAt;
  const answer: AnswerState | undefined = chat.answer?.answer;
  const runs: ChatRun[] = chat.runs;
  return (
    <section data-status={chat.status} data-created={String(created)}>
      {chat.messages.map((message) => <p key={message.id}>{message.content}</p>)}
      {runs.map((run) => <p key={run.key}>{run.answer.text}{run.answer.toolCalls.map((call) => call.approval?.decision)}</p>)}
      <p>{answer?.text}</p>
      <button onClick={() => chat.send('hi')}>Send</button>
      <button onClick={() => chat.stop()}>Stop</button>
      <button onClick={() => void chat.approve('run', { always: true })}>Allow</button>
      <button onClick={() => void chat.deny('run', { reason: 'no' })}>Deny</button>
    </section>
  );
}

// Never called: if the package's types were any, these lines would not be errors and tsc would fail.
function WrongCalls() {
  const chat = useChat({ sessionId: 's' });
  const trpc = useTRPC();
  // @ts-expect-error: content is a string
  chat.send(42);
  // @ts-expect-error: no such status
  const status: typeof chat.status = 'thinking';
  // @ts-expect-error: no such procedure
  void trpc.sessions.rename;
  // @ts-expect-error: rename takes a session id and a title
  void useSessions().rename({ title: 'x' });
  // @ts-expect-error: a url needs a token
  void <ThreadlineProvider url="http://127.0.0.1:3000" />;
  void status;
  return null;
}
void WrongCalls;

const withUrl = renderToString(
  <ThreadlineProvider url="http://127.0.0.1:9" token="tl_x">
    <Sessions onOpen={() => {}} />
    <Chat sessionId="0190a8c4-0000-7000-8000-000000000000" />
  </ThreadlineProvider>,
);
const withClient = renderToString(
  <ThreadlineProvider client={createThreadlineClient({ url: 'http://127.0.0.1:9', token: 'tl_x' })}>
    <Chat sessionId="0190a8c4-0000-7000-8000-000000000000" />
  </ThreadlineProvider>,
);
console.log(JSON.stringify({ exports: Object.keys(threadline).sort(), withUrl, withClient }));
`;

describe('@threadline/react as a packed npm package', () => {
  let workDir: string;
  let consumerDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'threadline-react-pack-'));
    consumerDir = join(workDir, 'consumer');
    const tarballs = await whileBuildsAreMine(async () => {
      await npm(['run', 'build', '-w', '@threadline/client', '-w', '@threadline/react'], root);
      const packed: string[] = [];
      for (const name of ['client', 'react']) {
        // --ignore-scripts: the package was just built; prepack would build it again.
        const { stdout } = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], join(root, name));
        const [tarball] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
        expect(tarball.files.map((file) => file.path).sort()).toEqual(expect.arrayContaining(['dist/index.d.ts', 'dist/index.js', 'package.json']));
        packed.push(join(workDir, tarball.filename));
      }
      return packed;
    });
    await mkdir(consumerDir);
    await writeFile(join(consumerDir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(join(consumerDir, 'tsconfig.json'), JSON.stringify(consumerTsconfig, null, 2));
    await writeFile(join(consumerDir, 'main.tsx'), consumerProgram);
    // README's example component, checked as a consumer would paste it.
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const example = readme.slice(readme.indexOf('\n## React\n')).split('```tsx\n')[1]!.split('```')[0]!;
    await writeFile(join(consumerDir, 'readme.tsx'), example);
    // Exact versions of what the repository already installed, so the npm cache has them (@types/ws:
    // tRPC's server declarations name ws, and the consumer checks library declarations too).
    const installed: string[] = ['typescript', '@types/node', '@types/ws', 'react', 'react-dom', '@types/react', '@types/react-dom', '@tanstack/react-query'];
    // tRPC's packages too: @trpc/tanstack-react-query wants exactly its own version of the others,
    // and the client's range would otherwise take the newest, installing tRPC twice.
    installed.push('@trpc/client', '@trpc/server', '@trpc/tanstack-react-query');
    await npm(['install', ...tarballs, ...installed.map((name) => `${name}@${versionOf(name)}`), '--prefer-offline', '--no-audit', '--no-fund'], consumerDir);
    // The package's declarations as a source file of the consumer: tsc checks them in full there.
    const declarations = await readFile(join(consumerDir, 'node_modules', '@threadline', 'react', 'dist', 'index.d.ts'), 'utf8');
    await writeFile(join(consumerDir, 'declarations.ts'), declarations);
    await writeFile(join(consumerDir, 'tsconfig.declarations.json'), JSON.stringify(declarationsTsconfig, null, 2));
  }, 240_000);

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('imports only its declared dependencies and peers: no workspace-only package', async () => {
    const manifest = JSON.parse(await readFile(join(reactDir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const declared = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)];
    expect(declared).not.toContain('@threadline/server');
    expect(declared).not.toContain('@threadline/shared');
    const dist = join(consumerDir, 'node_modules', '@threadline', 'react', 'dist');
    for (const file of ['index.d.ts', 'index.js']) {
      const imported = importedPackages(await readFile(join(dist, file), 'utf8'));
      expect(imported, file).toContain('@threadline/client');
      expect(declared, file).toEqual(expect.arrayContaining(imported));
    }
  });

  it('typechecks a strict NodeNext consumer with JSX, README\'s example and the package\'s declarations, wrong calls included as errors', async () => {
    const tsc = join(consumerDir, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const project of ['tsconfig.json', 'tsconfig.declarations.json']) {
      const { stdout } = await run(process.execPath, [tsc, '-p', project], { cwd: consumerDir }).catch((error: { stdout: string }) => {
        throw new Error(`tsc -p ${project} failed in the consumer:\n${error.stdout}`);
      });
      expect(stdout).toBe('');
    }
  }, 120_000);

  it('renders the provider and the hooks in Node, and exports at run time what it declares', async () => {
    const { stdout } = await run(process.execPath, [join('out', 'main.js')], { cwd: consumerDir, env: environment, timeout: 30_000 });
    const result = JSON.parse(stdout) as { exports: string[]; withUrl: string; withClient: string };
    // Server rendering runs no effects: the first render of each, nothing fetched.
    expect(result.withUrl).toContain('data-status="idle"');
    expect(result.withUrl).toContain('>New</button>');
    expect(result.withClient).toContain('data-status="idle"');
    const declarations = await readFile(join(consumerDir, 'node_modules', '@threadline', 'react', 'dist', 'index.d.ts'), 'utf8');
    expect(result.exports).toEqual(declaredValueExports(declarations));
    expect(result.exports).toEqual([
      'TRPCProvider',
      'ThreadlineProvider',
      'describeConnectionProblem',
      'isFetchFailure',
      'useChat',
      'useConnectionProblem',
      'useHistory',
      'useSessions',
      'useTRPC',
      'useThreadlineClient',
    ]);
  }, 60_000);
});
