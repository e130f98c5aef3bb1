/**
 * Bearer-token authentication: a token service on loopback in front of the real registry
 * (like a registry behind an OAuth2 token server). Requests to /v2/ need a token issued by
 * /token for the registry's user; the front forwards authorised requests to docker-registry.
 * Tokens expire after a few requests, so the client must fetch new ones, also mid-upload.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import type { RegistryInfo } from '../env/info.ts';
import { testEnv } from '../env/info.ts';
import { archiveIn, runImager, scratchDir, skopeoRaw } from './helpers.ts';

interface TokenFront {
  server: Server;
  host: string;
  issued: () => number;
  scopes: string[];
}

/** The token service and registry front; each token is good for `maxUses` requests. */
async function tokenFront(registry: RegistryInfo, maxUses: number): Promise<TokenFront> {
  const basic = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
  const uses = new Map<string, number>();
  const scopes: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname === '/token') {
      if (req.headers.authorization !== basic || url.searchParams.get('service') !== 'front') {
        res.writeHead(401).end();
        return;
      }
      scopes.push(url.searchParams.get('scope') ?? '');
      const token = randomUUID();
      uses.set(token, 0);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
      return;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const used = token === undefined ? undefined : uses.get(token);
    if (used === undefined || used >= maxUses) {
      res.writeHead(401, {
        connection: 'close',
        'content-type': 'application/json',
        'www-authenticate': `Bearer realm="http://${req.headers.host}/token",service="front"`,
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'token required' }] }));
      return;
    }
    uses.set(token!, used + 1);
    const upstream = request(
      `${registry.url}${req.url}`,
      { method: req.method, headers: { ...req.headers, authorization: basic } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, host: `127.0.0.1:${port}`, issued: () => uses.size, scopes };
}

function dockerConfigFor(dir: string, host: string, username: string, password: string): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ auths: { [host]: { username, password } } }));
  return file;
}

test('pushes with Bearer tokens from the token server, renewing expired tokens mid-upload', async (t) => {
  t.timeout(120_000);
  const { registry } = testEnv();
  const front = await tokenFront(registry, 3);
  t.teardown(() => new Promise<void>((resolve) => front.server.close(() => resolve())));
  const dir = scratchDir(t);
  const archive = await archiveIn(dir, { sizeBytes: 12 * 1024 * 1024 });
  const name = `imager-test/bearer-${Math.random().toString(36).slice(2, 8)}`;
  const dockerConfig = dockerConfigFor(dir, front.host, registry.username, registry.password);

  const run = await runImager([
    '--archive',
    archive,
    '--container',
    'app',
    '--repository',
    `${front.host}/${name}`,
    '--tag',
    't',
    '--docker-config',
    dockerConfig,
    '--chunk-size',
    String(2 * 1024 * 1024),
  ]);

  t.is(run.code, 0, run.stderr);
  t.true(front.issued() > 3, `tokens were renewed (${front.issued()} issued)`);
  t.true(front.scopes.every((s) => s === `repository:${name}:pull,push`));
  t.regex(
    run.stderr,
    /authorization expired during the upload\); continuing from byte [1-9]\d*/,
    'a PATCH refused for an expired token resumes',
  );
  const index = (await skopeoRaw(registry, `${registry.host}/${name}:t`)) as {
    annotations: Record<string, string>;
  };
  t.is(index.annotations['org.criu.checkpoint.container.name'], 'app');
});

test('a token server that refuses the credentials is an authentication failure (3)', async (t) => {
  t.timeout(60_000);
  const { registry } = testEnv();
  const front = await tokenFront(registry, 100);
  t.teardown(() => new Promise<void>((resolve) => front.server.close(() => resolve())));
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const dockerConfig = dockerConfigFor(dir, front.host, registry.username, 'wrong');
  const run = await runImager([
    '--archive',
    archive,
    '--container',
    'app',
    '--repository',
    `${front.host}/imager-test/bearer-denied`,
    '--docker-config',
    dockerConfig,
  ]);
  t.is(run.code, 3);
  t.regex(run.stderr, /token server 127\.0\.0\.1:\d+ refused user "continuum" \(401\)/);
});
