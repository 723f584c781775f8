import { runEvents, type Message } from '@threadline/client';
import { followRun } from './answer.js';
import { complain, say, type ChatContext, type SlashCommand } from './chat-context.js';
import { loadHistory, printHistory } from './history.js';

/** Prints the user's new question (an edit) and follows the run that answers it on its new branch. */
async function followBranchRun(context: ChatContext, runId: string): Promise<void> {
  await followRun(context, runId, (signal) => runEvents(context.client, runId, { signal }));
}

/** The messages of the branch shown that have other versions, oldest first. */
function forks(messages: Message[]): Message[] {
  return messages.filter((message) => (message.siblingCount ?? 1) > 1);
}

function excerpt(message: Message): string {
  const text = message.content.replace(/\s+/g, ' ');
  const who = message.role === 'user' ? 'you' : message.role;
  return `${who}: ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

/** The interactive client's commands for branches: edit the last question, answer it again, switch versions. */
export const branchCommands: SlashCommand[] = [
  {
    name: 'edit',
    usage: '/edit TEXT',
    summary: 'ask your last question again as TEXT, on a new branch (the old one is kept: /branch)',
    async run(context, text) {
      if (!text) return complain(context, 'usage: /edit TEXT');
      const last = (await loadHistory(context)).findLast((message) => message.role === 'user');
      if (!last) return complain(context, 'there is no question to edit yet');
      const { runId } = await context.client.messages.edit.mutate({ messageId: last.id, content: text });
      context.renderer.line(`${context.style.strong('you:')} ${text}`);
      await followBranchRun(context, runId);
    },
  },
  {
    name: 'retry',
    usage: '/retry',
    summary: 'answer your last question again, on a new branch (the old answer is kept: /branch)',
    async run(context) {
      const last = (await loadHistory(context)).findLast((message) => message.role === 'user' || message.role === 'assistant');
      if (!last) return complain(context, 'there is nothing to answer again yet');
      const { runId } = await context.client.messages.regenerate.mutate({ messageId: last.id });
      await followBranchRun(context, runId);
    },
  },
  {
    name: 'branch',
    usage: '/branch [next|prev [N]]',
    summary: 'list the messages that have other versions, or show the next or previous version of one (N, default the last)',
    async run(context, argument) {
      const shownForks = forks(await loadHistory(context));
      const [direction, position] = argument.split(/\s+/).filter(Boolean);
      if (!direction) {
        if (shownForks.length === 0) return say(context, 'no branches: every message has one version (/edit or /retry make others)');
        shownForks.forEach((message, index) => say(context, `${index + 1}. ${excerpt(message)}  (version ${message.siblingIndex} of ${message.siblingCount})`));
        return say(context, '/branch next N or /branch prev N shows another version of N');
      }
      if (direction !== 'next' && direction !== 'prev') return complain(context, 'usage: /branch [next|prev [N]]');
      const index = position === undefined ? shownForks.length : Number(position);
      const fork = Number.isInteger(index) ? shownForks[index - 1] : undefined;
      if (!fork) return complain(context, shownForks.length === 0 ? 'no branches to switch: every message has one version' : `N is 1 to ${shownForks.length} (see /branch)`);
      const target = direction === 'next' ? fork.nextSiblingId : fork.previousSiblingId;
      if (!target) return complain(context, `this is already the ${direction === 'next' ? 'last' : 'first'} version (${fork.siblingIndex} of ${fork.siblingCount})`);
      await context.client.sessions.switchBranch.mutate({ sessionId: context.session.id, messageId: target });
      say(context, `showing version ${(fork.siblingIndex ?? 1) + (direction === 'next' ? 1 : -1)} of ${fork.siblingCount}:`);
      await printHistory(context);
    },
  },
];
