#!/usr/bin/env node
import { Command, Option } from 'commander';
import type { AskOptions } from './ask.js';

/**
 * `threadline`: the interactive chat (default), `ask` (one answer, pipe-friendly), `run` (the
 * scripted scenario harness) and `usage` (your tokens and cost). Every command finds the server and token the same way (connection.ts).
 */
const program = new Command('threadline')
  .description('Chat with a Threadline server from the terminal')
  .option('-u, --url <url>', 'server base URL (THREADLINE_URL, default http://127.0.0.1:3000)')
  .option('-t, --token <token>', 'bearer token (THREADLINE_TOKEN, ./data/token, or the saved config)');

program
  .command('chat', { isDefault: true })
  .description('interactive chat: pick or create a session, then talk (/help for commands)')
  .option('-s, --session <id>', 'resume this session')
  .option('-m, --model <model>', 'provider/model for new sessions')
  .action(async (options: { session?: string; model?: string }) => {
    const { runInteractive } = await import('./interactive.js');
    process.exitCode = await runInteractive({ ...program.opts(), ...options });
  });

program
  .command('ask')
  .description('send one message and print the answer text to stdout')
  .argument('[message...]', 'the message (read from stdin when omitted)')
  .option('-s, --session <id>', 'continue this session (default: a stateless run)')
  .option('-n, --new-session', 'store the exchange in a new session and print its id to stderr')
  .option('-m, --model <model>', 'provider/model')
  .option('-a, --agent <agent>', 'agent')
  .addOption(new Option('--approve', 'allow every tool call that waits for approval').conflicts(['deny', 'denyReason']))
  .option('--deny', 'deny every tool call that waits for approval')
  .option('--deny-reason <reason>', 'deny them and tell the model why (implies --deny)')
  .addHelpText(
    'after',
    '\nWithout --approve or --deny, a tool call that waits for approval is asked about at the terminal;\n' +
      'without a terminal to ask at it is denied (the model is told nobody could be asked), with a note on stderr.',
  )
  .action(async (words: string[], options: AskOptions) => {
    const { runAsk } = await import('./ask.js');
    process.exitCode = await runAsk(words, { ...program.opts(), ...options });
  });

program
  .command('login')
  .description('check a token against a server and save both for every other command (mode 0600)')
  .argument('[url]', 'server base URL (default: --url, THREADLINE_URL, the saved one, or http://127.0.0.1:3000)')
  .addHelpText('after', '\nThe token comes from --token, else it is asked for (hidden) at a terminal, else read from stdin.')
  .action(async (url: string | undefined) => {
    const { runLogin } = await import('./login.js');
    process.exitCode = await runLogin(url, program.opts());
  });

program
  .command('run')
  .description('run a scripted conversation scenario (YAML or JSON) and report pass/fail and latencies')
  .argument('<files...>', 'scenario files')
  .option('--junit <file>', 'also write a JUnit XML report')
  .option('--start-server', "start a server for each setup the scenarios' requires name, in a temporary data dir")
  .option('--keep-sessions', 'keep the sessions the scenarios create (default: deleted when passing, archived when failing)')
  .action(async (files: string[], options: { junit?: string; startServer?: boolean; keepSessions?: boolean }) => {
    const { runScenarios } = await import('./harness/run.js');
    process.exitCode = await runScenarios(files, { ...program.opts(), ...options });
  });

program
  .command('usage')
  .description('your token usage and cost (default: this month, UTC)')
  .option('--from <when>', 'from (ISO date or time, or 30d / 12h ago)')
  .option('--to <when>', 'until, exclusive (default: now)')
  .option('--by <group>', 'also by day, model, session or agent')
  .action(async (options: { from?: string; to?: string; by?: string }) => {
    const { runUsage } = await import('./usage.js');
    process.exitCode = await runUsage({ ...program.opts(), ...options });
  });

program
  .command('export')
  .description('write a session to a file: json (lossless, every branch; what import reads) or markdown')
  .argument('<session>', 'session id')
  .option('-f, --format <format>', 'json or markdown', 'json')
  .option('-o, --output <file>', 'write here instead of stdout')
  .action(async (sessionId: string, options: { format?: string; output?: string }) => {
    const { runExport } = await import('./transfer.js');
    process.exitCode = await runExport(sessionId, { ...program.opts(), ...options });
  });

program
  .command('import')
  .description('store a JSON export as a new session of yours (prints its id)')
  .argument('<file>', 'a file written by threadline export')
  .action(async (file: string) => {
    const { runImport } = await import('./transfer.js');
    process.exitCode = await runImport(file, program.opts());
  });

await program.parseAsync();
