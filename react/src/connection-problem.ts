import { useQuery } from '@tanstack/react-query';

/**
 * True for the error a browser's fetch gives when it gets no response it may read: the server is
 * down or unreachable, or it answered without allowing this page's origin (CORS). Browsers say
 * only "Failed to fetch" (Chromium), "NetworkError when attempting to fetch resource" (Firefox) or
 * "Load failed" (Safari), as a TypeError that tRPC wraps in its own error.
 */
export function isFetchFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof TypeError) return true;
    if (/failed to fetch|networkerror|load failed/i.test(String((current as { message?: unknown }).message ?? ''))) return true;
  }
  return false;
}

/**
 * What to do when the page cannot talk to the server at `url`. A `no-cors` request (whose answer
 * the page may not read, but which succeeds whenever the server answers at all) tells a server
 * that is not there from one that refuses this page's origin.
 */
export async function describeConnectionProblem(url: string, origin: string = globalThis.location?.origin ?? 'this page'): Promise<string> {
  const base = url.replace(/\/+$/, '');
  try {
    await fetch(`${base}/healthz`, { mode: 'no-cors', cache: 'no-store' });
    return `${base} answers, but not to this page: add this page's origin (${origin}) to THREADLINE_CORS_ORIGINS where the server runs, and restart it.`;
  } catch {
    return `Cannot reach ${base}: is the server running? If it is, add this page's origin (${origin}) to THREADLINE_CORS_ORIGINS.`;
  }
}

/**
 * For an error from talking to the server at `url`: null when it is not a failed fetch, else a
 * sentence saying what to do (see describeConnectionProblem; a generic one while the probe runs).
 */
export function useConnectionProblem(error: unknown, url: string): string | null {
  const failed = error != null && isFetchFailure(error);
  const probe = useQuery({
    queryKey: ['threadline', 'connection-problem', url],
    queryFn: () => describeConnectionProblem(url),
    enabled: failed,
    staleTime: 0,
    retry: false,
  });
  if (!failed) return null;
  return probe.data ?? `Cannot reach ${url.replace(/\/+$/, '')}.`;
}
