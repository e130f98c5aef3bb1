/**
 * Bearer-token authentication: a token service on loopback in front of the real registry
 * (like a registry behind an OAuth2 token server). Requests to /v2/ need a token issued by
 * /token for the registry's user; the front forwards authorised requests to docker-registry.
 * Tokens expire after a few requests, so the client must fetch new ones, also mid-upload.
 */
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import type { RegistryInfo } from '../env/info.ts';
import { testEnv } from '../env/info.ts';
import { dockerConfigFor, registryFront } from './front.ts';
import { archiveIn, imagerFlags, runImager, scratchDir, skopeoRaw } from './helpers.ts';

/**
 * A token service and registry front; each token is good for `maxUses` requests; `answer` is
 * the token server's reply body. Returns the front's host, the number of tokens issued and
 * the scopes asked for.
 */
async function tokenFront(
  t: ExecutionContext,
  registry: RegistryInfo,
  maxUses: number,
  answer = (token: string) => JSON.stringify({ token }),
) {
  const basic = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
  const uses = new Map<string, number>();
  const scopes: string[] = [];
  const { host } = await registryFront(t, registry, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    if (url.pathname === '/token') {
      if (req.headers.authorization !== basic || url.searchParams.get('service') !== 'front') {
        res.writeHead(401).end();
        return true;
      }
      scopes.push(url.searchParams.get('scope') ?? '');
      const token = randomUUID();
      uses.set(token, 0);
      res.writeHead(200, { 'content-type': 'application/json' }).end(answer(token));
      return true;
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
      return true;
    }
    uses.set(token!, used + 1);
    return false;
  });
  return { host, issued: () => uses.size, scopes };
}

test('pushes with Bearer tokens from the token server, renewing expired tokens mid-upload', async (t) => {
  t.timeout(120_000);
  const { registry } = testEnv();
  const front = await tokenFront(t, registry, 3);
  const dir = scratchDir(t);
  const archive = await archiveIn(dir, { sizeBytes: 12 * 1024 * 1024 });
  const name = `imager-test/bearer-${Math.random().toString(36).slice(2, 8)}`;
  const dockerConfig = dockerConfigFor(dir, front.host, registry.username, registry.password);

  const run = await runImager(
    imagerFlags(
      archive,
      { repository: `${front.host}/${name}`, tag: 't', dockerConfig },
      '--chunk-size',
      String(2 * 1024 * 1024),
    ),
  );

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
  const front = await tokenFront(t, registry, 100);
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const dockerConfig = dockerConfigFor(dir, front.host, registry.username, 'wrong');
  const run = await runImager(
    imagerFlags(archive, { repository: `${front.host}/imager-test/bearer-denied`, dockerConfig }),
  );
  t.is(run.code, 3);
  t.regex(run.stderr, /token server 127\.0\.0\.1:\d+ refused user "continuum" \(401\)/);
});

test('a token server whose answer holds no token is an authentication failure (3)', async (t) => {
  t.timeout(60_000);
  const { registry } = testEnv();
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  for (const answer of ['<html>login</html>', 'null', '{"token":42}']) {
    const front = await tokenFront(t, registry, 100, () => answer);
    const dockerConfig = dockerConfigFor(dir, front.host, registry.username, registry.password);
    const run = await runImager(
      imagerFlags(archive, { repository: `${front.host}/imager-test/bearer-bad`, dockerConfig }),
    );
    t.is(run.code, 3, `${answer}: ${run.stderr}`);
    t.regex(run.stderr, /token server 127\.0\.0\.1:\d+ returned no token/);
  }
});
