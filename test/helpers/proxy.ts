import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A TCP proxy in front of a server, whose connections a test can cut (a network failure). */
export interface CuttableProxy {
  /** Base URL through the proxy. */
  url: string;
  /** Destroys every open connection, both sides. */
  cutAll(): void;
  /** Connections accepted so far. */
  connections(): number;
  /** Answers the next `count` connections with `502 Bad Gateway` instead of forwarding them. */
  refuseNext(count: number): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 forwarding to `target` (an http://host:port URL). */
export async function startProxy(target: string): Promise<CuttableProxy> {
  const { hostname, port } = new URL(target);
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
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cutAll = () => {
    for (const socket of open) socket.destroy();
  };
  const close = async () => {
    cutAll();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cutAll,
    connections: () => accepted,
    refuseNext: (count) => void (refusals = count),
    close,
    [Symbol.asyncDispose]: close,
  };
}
