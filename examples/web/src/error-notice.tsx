import { useConnectionProblem } from '@threadline/react';

/**
 * An error from talking to the server. A failed fetch (the server is down, or refuses this page's
 * origin) says what to do instead of the browser's "Failed to fetch".
 */
export function ErrorNotice({ error, serverUrl }: { error: Error | null; serverUrl: string }) {
  const problem = useConnectionProblem(error, serverUrl);
  if (!error) return null;
  return (
    <p className="error" role="alert" data-testid="error">
      {problem ?? error.message}
    </p>
  );
}
