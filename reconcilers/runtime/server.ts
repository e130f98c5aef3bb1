/**
 * The operator's HTTP endpoints: `/healthz` (the process is alive), `/readyz` (200 once the
 * readiness check passes: informers synced; a non-leader replica is ready too), `/metrics`
 * (Prometheus text format from the shared registry).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './metrics.ts';

export interface ProbeServerOptions {
  /** `host:port`, or `:port` for all interfaces. */
  listen: string;
  /** Readiness; default always ready. */
  ready?: () => boolean;
}

export interface ProbeServer {
  /** The bound port (useful with `:0`). */
  port: number;
  close(): Promise<void>;
}

/** Parses `host:port` / `:port` / `port`. */
export function parseListen(listen: string): { host?: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = i > 0 ? listen.slice(0, i) : undefined;
  const port = Number(i >= 0 ? listen.slice(i + 1) : listen);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid listen address "${listen}": expected host:port or :port`);
  }
  return host ? { host, port } : { port };
}

/** Starts the server; resolves once it listens. */
export async function startProbeServer(opts: ProbeServerOptions): Promise<ProbeServer> {
  const { host, port } = parseListen(opts.listen);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return res.writeHead(200).end('ok\n');
    if (path === '/readyz') {
      const ok = opts.ready?.() ?? true;
      return res.writeHead(ok ? 200 : 503).end(ok ? 'ok\n' : 'not ready\n');
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(`${String(err)}\n`),
      );
      return;
    }
    res.writeHead(404).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
