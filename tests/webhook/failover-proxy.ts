/**
 * A TCP address in front of several local servers, as a Service in front of replicas: each
 * connection goes to the first of them that accepts it (tests where replicas die).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** Listens on `port` and hands each connection to the first of `targets()` that accepts it. */
export async function failover(port: number, targets: () => number[]): Promise<Server> {
  const server = createServer((client: Socket) => {
    client.pause();
    const tryNext = (ports: number[]) => {
      const [first, ...rest] = ports;
      if (first === undefined) return void client.destroy();
      const upstream = connect(first, '127.0.0.1');
      upstream.once('error', () => tryNext(rest));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    tryNext(targets());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
