/** A V8 call frame, as the CPU profile and the sampling heap profile give it. */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/**
 * Where a frame's code comes from: `node_modules/<package>`, `threadline` for the server's bundle,
 * Node's own modules (their first `nodeDepth` path segments: 1 gives `node:internal`, 3
 * `node:internal/deps/undici`), a file, or, for code without a URL, what `withoutUrl` says.
 */
export function packageOf(frame: CallFrame, options: { nodeDepth: number; withoutUrl: (frame: CallFrame) => string }): string {
  const { url } = frame;
  if (!url) return options.withoutUrl(frame);
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/').slice(0, options.nodeDepth).join('/');
  if (url.includes('/server/dist/')) return 'threadline';
  return url.replace(/^file:\/\//, '');
}

/** `function dir/file:line` (the line 1-based). */
export function frameName(frame: CallFrame): string {
  const file = frame.url.split('/').slice(-2).join('/');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}
