/**
 * An HTTP front on loopback for the real test registry, playing what often stands before a
 * registry (an nginx with a body-size limit, a token gateway): `intercept` may answer a
 * request itself; every other request goes on to docker-registry with its Basic credentials,
 * and `rewrite` may change the headers of the answer.
 * The Host header is kept, so the registry's Location headers point back to the front. Like
 * nginx, it judges a request that expects "100 Continue" before accepting its body.
 */
import type { ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { join } from 'node:path';
import type { RegistryInfo } from '../env/info.ts';

export async function registryFront(
  t: ExecutionContext,
  registry: RegistryInfo,
  intercept: (req: IncomingMessage, res: ServerResponse) => boolean,
  /** Changes the registry's answer headers on the way back (a lying or redirecting front). */
  rewrite: (req: IncomingMessage, headers: IncomingHttpHeaders) => IncomingHttpHeaders = (
    _req,
    headers,
  ) => headers,
): Promise<{ host: string }> {
  const basic = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
  const handle = (req: IncomingMessage, res: ServerResponse, continued: boolean): void => {
    if (intercept(req, res)) return;
    if (continued) res.writeContinue();
    const headers = { ...req.headers, authorization: basic };
    delete headers.expect; // the front has answered it
    const upstream = request(`${registry.url}${req.url}`, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, rewrite(req, up.headers));
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server = createServer((req, res) => handle(req, res, false));
  // Like nginx: judge the request before agreeing to receive its body.
  server.on('checkContinue', (req, res) => handle(req, res, true));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { host: `127.0.0.1:${port}` };
}

/** A docker config file in `dir` with credentials for `host`. */
export function dockerConfigFor(
  dir: string,
  host: string,
  username: string,
  password: string,
): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ auths: { [host]: { username, password } } }));
  return file;
}
