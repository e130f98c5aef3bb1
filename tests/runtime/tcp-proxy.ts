/**
 * A TCP proxy to a loopback port. For resilience tests: put it between a client and the API
 * server, then drop every connection (and refuse new ones for a while), or stall the open ones
 * silently. The test environment relays the `kubernetes` Service's ClusterIP:443 with one.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connection attempts so far, refused ones included. */
  attempts: number;
  /** Destroys open connections; new ones are refused (closed at once) until {@link resume}. */
  drop(): void;
  /** Accepts connections again. */
  resume(): void;
  /** Open connections stop carrying data, silently, without closing; new ones work. */
  stall(): void;
  close(): Promise<void>;
}

/** Listens on `listen` (default: a free loopback port) and forwards to 127.0.0.1:targetPort. */
export async function startTcpProxy(
  targetPort: number,
  listen = { host: '127.0.0.1', port: 0 },
): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  const server: Server = createServer((client) => {
    proxy.attempts++;
    if (refusing) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`cannot listen on ${listen.host}:${listen.port}: ${err.message}`)),
    );
    server.listen(listen.port, listen.host, () => resolve());
  });
  const proxy: TcpProxy = {
    port: (server.address() as { port: number }).port,
    attempts: 0,
    drop() {
      refusing = true;
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
    },
    resume() {
      refusing = false;
    },
    stall() {
      for (const [a, b] of pairs) {
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
      pairs.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.drop();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
