import { useState, type FormEvent, type KeyboardEvent } from 'react';

/** Props of Composer. */
export interface ComposerProps {
  onSend(content: string): void;
  /** An answer is streaming (or queued, or waiting): the stop button shows beside Send. */
  busy: boolean;
  /** Stops the session's unended answers. */
  onStop?: (() => void) | undefined;
  stopping: boolean;
}

/**
 * The message box: Enter sends, Shift+Enter breaks the line. It stays usable while an answer
 * streams (the server queues what is sent meanwhile); Stop cancels the answers under way.
 */
export function Composer({ onSend, busy, onStop, stopping }: ComposerProps) {
  const [content, setContent] = useState('');
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!content.trim()) return;
    onSend(content.trim());
    setContent('');
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) submit(event);
  };
  return (
    <form className="composer" onSubmit={submit}>
      <textarea
        aria-label="Message"
        placeholder={busy ? 'Write the next message: it waits for the answer under way' : 'Write a message (try /think why /long 40)'}
        value={content}
        onChange={(event) => setContent(event.target.value)}
        onKeyDown={onKeyDown}
        rows={3}
      />
      <div className="composer-actions">
        <button type="submit" disabled={!content.trim()}>
          Send
        </button>
        {busy && (
          <button type="button" onClick={onStop} disabled={!onStop || stopping}>
            {stopping ? 'Stopping…' : 'Stop'}
          </button>
        )}
      </div>
    </form>
  );
}
