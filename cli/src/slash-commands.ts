import { branchCommands } from './branch-commands.js';
import { say, complain, type SlashCommand } from './chat-context.js';
import { enterSession } from './enter-session.js';
import { printHistory } from './history.js';
import { pickSession, titleOf } from './session-picker.js';

/**
 * The interactive client's commands. A line starting with one of these names is a command; any
 * other line, including other `/words` such as the built-in model's directives, is sent as a message.
 */
export const slashCommands: SlashCommand[] = [
  {
    name: 'new',
    usage: '/new [TITLE]',
    summary: 'start a new session',
    async run(context, title) {
      const session = await context.client.sessions.create.mutate({
        ...(title ? { title } : {}),
        ...(context.newSessionModel ? { model: context.newSessionModel } : {}),
      });
      await enterSession(context, session);
    },
  },
  {
    name: 'sessions',
    usage: '/sessions',
    summary: 'pick another session, create or delete sessions',
    async run(context) {
      let chosen = await pickSession(context, 'go back');
      if (!chosen) {
        const current = await context.client.sessions.get.query({ sessionId: context.session.id }).catch(() => undefined);
        if (current) return say(context, `back in "${titleOf(current)}"`);
        say(context, 'the current session was deleted: pick another one');
        chosen = await pickSession(context, 'quit');
        if (!chosen) return 'exit';
      }
      await enterSession(context, chosen);
    },
  },
  {
    name: 'history',
    usage: '/history',
    summary: "print this session's messages",
    async run(context) {
      await printHistory(context);
    },
  },
  {
    name: 'clear',
    usage: '/clear',
    summary: "delete this session's messages (the session stays)",
    async run(context) {
      context.session = await context.client.sessions.clear.mutate({ sessionId: context.session.id });
      say(context, 'session cleared');
    },
  },
  {
    name: 'rename',
    usage: '/rename TITLE',
    summary: 'give this session a new title',
    async run(context, title) {
      if (!title) return complain(context, 'usage: /rename TITLE');
      context.session = await context.client.sessions.update.mutate({ sessionId: context.session.id, title });
      say(context, `renamed to "${titleOf(context.session)}"`);
    },
  },
  {
    name: 'model',
    usage: '/model [provider/model | default]',
    summary: "show the models, or set this session's",
    async run(context, model) {
      const models = (await context.client.models.list.query()).map((entry) => entry.id);
      if (!model) {
        say(context, `model: ${context.session.model ?? 'the agent\'s default'}; available: ${models.join(', ')}`);
        return;
      }
      if (model !== 'default' && !models.includes(model)) return complain(context, `unknown model ${model}; available: ${models.join(', ')}`);
      const chosen = model === 'default' ? null : model;
      context.session = await context.client.sessions.update.mutate({ sessionId: context.session.id, model: chosen });
      say(context, `model: ${chosen ?? 'the agent\'s default'}`);
    },
  },
  {
    name: 'agent',
    usage: '/agent [NAME]',
    summary: "show the agents, or set this session's",
    async run(context, name) {
      const agents = await context.client.agents.list.query();
      const names = agents.map((agent) => agent.name);
      if (!name) {
        say(context, `agent: ${context.session.agent}; available: ${agents.map((agent) => `${agent.name} (${agent.description})`).join(', ')}`);
        return;
      }
      if (!names.includes(name)) return complain(context, `unknown agent ${name}; available: ${names.join(', ')}`);
      context.session = await context.client.sessions.update.mutate({ sessionId: context.session.id, agent: name });
      say(context, `agent: ${context.session.agent}`);
    },
  },
  {
    name: 'allowed',
    usage: '/allowed [clear]',
    summary: 'show the tools this session runs without asking (allowed always), or ask again for them (clear)',
    async run(context, argument) {
      if (argument === 'clear') {
        context.session = await context.client.sessions.update.mutate({ sessionId: context.session.id, allowedTools: [] });
        return say(context, 'allowed tools cleared: their calls ask again');
      }
      if (argument) return complain(context, 'usage: /allowed [clear]');
      context.session = await context.client.sessions.get.query({ sessionId: context.session.id });
      const tools = context.session.allowedTools;
      say(context, tools.length > 0 ? `allowed without asking: ${tools.join(', ')} (/allowed clear asks again)` : 'no tools are allowed without asking in this session');
    },
  },
  {
    name: 'stream',
    usage: '/stream on|off',
    summary: 'stream answers as they come (on) or wait for each whole answer (off)',
    async run(context, setting) {
      if (setting === 'on' || setting === 'off') context.streaming = setting === 'on';
      else if (setting) return complain(context, 'usage: /stream on|off');
      say(context, context.streaming ? 'streaming on: answers appear as they are written' : 'streaming off: each answer appears when it is complete');
    },
  },
  ...branchCommands,
  {
    name: 'exit',
    usage: '/exit',
    summary: 'leave (also /quit, Ctrl-D, or Ctrl-C at the prompt)',
    run: async () => 'exit',
  },
  {
    name: 'quit',
    usage: '/quit',
    summary: 'same as /exit',
    run: async () => 'exit',
  },
  {
    name: 'help',
    usage: '/help',
    summary: 'this list',
    async run(context) {
      const width = Math.max(...slashCommands.map((command) => command.usage.length));
      for (const command of slashCommands) context.renderer.line(`  ${command.usage.padEnd(width)}  ${context.style.notice(command.summary)}`);
      say(context, 'Anything else is sent as a message. Ctrl-C while an answer streams, or at an approval question, cancels it.');
    },
  },
];

/** The command a line calls and its argument, or undefined when the line is a message. */
export function parseCommand(line: string): { command: SlashCommand; argument: string } | undefined {
  const match = /^\/([a-z]+)(?:\s+([\s\S]*))?$/i.exec(line.trim());
  const command = match && slashCommands.find((candidate) => candidate.name === match[1]!.toLowerCase());
  return command ? { command, argument: match[2]?.trim() ?? '' } : undefined;
}
