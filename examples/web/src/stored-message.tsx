import type { Message } from '@threadline/client';
import type { UseChatResult } from '@threadline/react';
import { useState, type FormEvent } from 'react';
import { MessageView } from './message-view';

/** What a stored message's controls call: useChat's branch functions and approvals. */
type Chat = Pick<UseChatResult, 'edit' | 'regenerate' | 'switchBranch' | 'approve' | 'deny'>;

/** ‹ N/M ›: the versions of a message (an edited question, a regenerated answer); the arrows show the one before or after. */
function BranchArrows({ message, switchBranch }: { message: Message; switchBranch: Chat['switchBranch'] }) {
  const { siblingCount = 1, siblingIndex = 1, previousSiblingId, nextSiblingId } = message;
  if (siblingCount < 2) return null;
  return (
    <span className="branch" data-testid="branch">
      <button type="button" aria-label="previous version" disabled={!previousSiblingId} onClick={() => previousSiblingId && void switchBranch(previousSiblingId)}>
        ‹
      </button>
      <span data-testid="branch-position">
        {siblingIndex}/{siblingCount}
      </span>
      <button type="button" aria-label="next version" disabled={!nextSiblingId} onClick={() => nextSiblingId && void switchBranch(nextSiblingId)}>
        ›
      </button>
    </span>
  );
}

/** A user message being edited: its text in a box; Save answers the new version on a new branch (the old one is kept). */
function EditForm({ message, onSave, onCancel }: { message: Message; onSave(content: string): void; onCancel(): void }) {
  const [content, setContent] = useState(message.content);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (content.trim()) onSave(content.trim());
  };
  return (
    <form className="message user editing" data-testid="edit-form" onSubmit={submit}>
      <textarea aria-label="Edit message" value={content} onChange={(event) => setContent(event.target.value)} rows={3} autoFocus />
      <div className="edit-actions">
        <button type="submit" disabled={!content.trim()}>
          Save
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Props of StoredMessage. */
export interface StoredMessageProps {
  message: Message;
  chat: Chat;
}

/**
 * A message of the history with its branch controls: ‹ N/M › between its versions, Edit on the
 * user's messages (inline), Regenerate on answers.
 */
export function StoredMessage({ message, chat }: StoredMessageProps) {
  const [editing, setEditing] = useState(false);
  if (editing) {
    const save = (content: string) => {
      setEditing(false);
      if (content !== message.content) chat.edit(message.id, content);
    };
    return <EditForm message={message} onSave={save} onCancel={() => setEditing(false)} />;
  }
  const controls = (
    <>
      <BranchArrows message={message} switchBranch={chat.switchBranch} />
      {message.role === 'user' && (
        <button type="button" className="action" onClick={() => setEditing(true)}>
          Edit
        </button>
      )}
      {message.role === 'assistant' && (
        <button type="button" className="action" onClick={() => chat.regenerate(message.id)}>
          Regenerate
        </button>
      )}
    </>
  );
  return <MessageView message={message} controls={controls} approve={chat.approve} deny={chat.deny} />;
}
