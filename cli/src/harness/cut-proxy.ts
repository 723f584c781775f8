import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A local TCP proxy in front of the server whose connections can be cut, as a network failure would. */
export interface CutProxy {
  /** The server's base URL through the proxy (same path, proxy's host and port). */
  url: string;
  /** Destroys every open connection, both sides. */
  cutAll(): void;
  /** Connections accepted so far. */
  connections(): number;
  /** Answers the next `count` connections with `502 Bad Gateway` instead of forwarding them. */
  refuseNext(count: number): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 that forwards to the host and port of `target` (an http:// URL). */
export async function startCutProxy(target: string): Promise<CutProxy> {
  const upstreamUrl = new URL(target);
  if (upstreamUrl.protocol !== 'http:') throw new Error(`dropping connections needs an http:// server URL, not ${upstreamUrl.protocol}`);
  const port = Number(upstreamUrl.port || 80);
  const open = new Set<Socket>();
  let accepted = 0;
  let refusals = 0;
  const server = createServer((client) => {
    accepted++;
    if (refusals > 0) {
      refusals--;
      open.add(client);
      client.on('close', () => open.delete(client));
      client.on('error', () => {});
      client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    const upstream = connect(port, upstreamUrl.hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const cutAll = () => {
    for (const socket of open) socket.destroy();
  };
  const proxied = new URL(target);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as AddressInfo).port);
  return {
    url: proxied.href.replace(/\/$/, ''),
    cutAll,
    connections: () => accepted,
    refuseNext: (count) => void (refusals = count),
    close: async () => {
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
