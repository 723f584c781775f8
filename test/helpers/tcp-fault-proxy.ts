import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a service (Redis, PostgreSQL), for fault tests: `cut()`
 * drops every connection and refuses new ones (a network partition, a dead server), `hold()` keeps
 * connections open but forwards nothing (packets held: a server that does not answer), `restore()`
 * goes back to forwarding. Disposable.
 */
export interface TcpFaultProxy {
  /** `host:port` of the proxy. */
  host: string;
  port: number;
  /** The service's URL with the proxy's host and port in place of its own. */
  urlFor(serviceUrl: string): string;
  cut(): void;
  hold(): void;
  restore(): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

type Mode = 'forward' | 'cut' | 'hold';

/** Starts a proxy forwarding to `target` (`host:port`). */
export async function startTcpFaultProxy(target: { host: string; port: number }): Promise<TcpFaultProxy> {
  let mode: Mode = 'forward';
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    client.on('error', () => {});
    if (mode === 'cut') return void client.destroy();
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => {});
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream).pipe(client);
    if (mode === 'hold') for (const socket of pair) socket.pause();
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    host: '127.0.0.1',
    port,
    urlFor(serviceUrl) {
      const url = new URL(serviceUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    cut() {
      mode = 'cut';
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
    },
    hold() {
      mode = 'hold';
      for (const pair of pairs) for (const socket of pair) socket.pause();
    },
    restore() {
      mode = 'forward';
      for (const pair of pairs) for (const socket of pair) socket.resume();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
