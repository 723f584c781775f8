import { useState, type FormEvent, type KeyboardEvent } from 'react';

/** Props of Composer. */
export interface ComposerProps {
  onSend(content: string): void;
  /** An answer is streaming: sending waits, the stop button shows. */
  busy: boolean;
  /** Stops the streaming answer; absent until the run's id is known. */
  onStop?: (() => void) | undefined;
  stopping: boolean;
}

/** The message box: Enter sends, Shift+Enter breaks the line; Stop cancels the streaming answer. */
export function Composer({ onSend, busy, onStop, stopping }: ComposerProps) {
  const [content, setContent] = useState('');
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (busy || !content.trim()) return;
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
        placeholder="Write a message (try /think why /long 40)"
        value={content}
        onChange={(event) => setContent(event.target.value)}
        onKeyDown={onKeyDown}
        rows={3}
      />
      {busy ? (
        <button type="button" onClick={onStop} disabled={!onStop || stopping}>
          {stopping ? 'Stopping…' : 'Stop'}
        </button>
      ) : (
        <button type="submit" disabled={!content.trim()}>
          Send
        </button>
      )}
    </form>
  );
}
