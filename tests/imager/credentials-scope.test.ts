/**
 * The registry's credentials go to the registry only: an upload Location that names another
 * host (a hostile or misconfigured registry front) gets the upload without them. Front A asks
 * for Basic credentials and points every upload at front B; both forward to the real registry.
 */
import test from 'ava';
import { request } from 'node:http';
import { testEnv } from '../env/info.ts';
import { dockerConfigFor, registryFront } from './front.ts';
import { archiveIn, imagerFlags, runImager, scratchDir } from './helpers.ts';

test('an upload Location on another host gets no credentials', async (t) => {
  t.timeout(60_000);
  const { registry } = testEnv();
  const basic = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`;
  const seenByB: (string | undefined)[] = [];
  const b = await registryFront(t, registry, (req) => {
    seenByB.push(req.headers.authorization);
    return false;
  });
  const a = await registryFront(t, registry, (req, res) => {
    if (!req.headers.authorization) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="front-a"' }).end();
      return true;
    }
    if (req.method !== 'POST' || !req.url?.includes('/blobs/uploads/')) return false;
    const headers = { ...req.headers, authorization: basic };
    const upstream = request(`${registry.url}${req.url}`, { method: 'POST', headers }, (up) => {
      const location = new URL(String(up.headers.location), registry.url);
      res.writeHead(up.statusCode ?? 502, {
        ...up.headers,
        location: `http://${b.host}${location.pathname}${location.search}`,
      });
      up.pipe(res);
    });
    req.pipe(upstream);
    return true;
  });
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const dockerConfig = dockerConfigFor(dir, a.host, 'someone', 'secret-of-a');

  const run = await runImager(
    imagerFlags(archive, { repository: `${a.host}/imager-test/scope`, tag: 't', dockerConfig }),
  );

  t.is(run.code, 0, run.stderr);
  t.true(seenByB.length > 0, 'the uploads went to front B');
  t.deepEqual(
    seenByB.filter((h) => h !== undefined),
    [],
    'front B never saw an Authorization header',
  );
});
