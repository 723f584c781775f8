import { startCutProxy, type CutProxy } from '../../cli/src/harness/cut-proxy.js';

/** The harness's cuttable TCP proxy (a network failure on demand), disposable in tests. */
export type CuttableProxy = CutProxy & { [Symbol.asyncDispose](): Promise<void> };

/** Starts a proxy on 127.0.0.1 forwarding to `target` (an http://host:port URL). */
export async function startProxy(target: string): Promise<CuttableProxy> {
  const proxy = await startCutProxy(target);
  return { ...proxy, [Symbol.asyncDispose]: () => proxy.close() };
}
