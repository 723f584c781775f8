import { useState, type FormEvent } from 'react';
import type { Connection } from './storage';

/** Props of ConnectionForm. */
export interface ConnectionFormProps {
  connection: Connection;
  onSave(connection: Connection): void;
}

/** The server URL and the bearer token; saved in localStorage by the caller. */
export function ConnectionForm({ connection, onSave }: ConnectionFormProps) {
  const [url, setUrl] = useState(connection.url);
  const [token, setToken] = useState(connection.token);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSave({ url: url.trim(), token: token.trim() });
  };
  const changed = url.trim() !== connection.url || token.trim() !== connection.token;
  return (
    <form className="connection" onSubmit={submit}>
      <strong>Threadline</strong>
      <label>
        Server
        <input aria-label="Server URL" type="url" value={url} onChange={(event) => setUrl(event.target.value)} required />
      </label>
      <label>
        Token
        <input
          aria-label="Token"
          type="password"
          placeholder="tl_…"
          autoComplete="off"
          value={token}
          onChange={(event) => setToken(event.target.value)}
          required
        />
      </label>
      <button type="submit" disabled={!changed}>
        Connect
      </button>
    </form>
  );
}
