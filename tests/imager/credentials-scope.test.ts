/**
 * The registry's credentials go to the registry only: an upload Location that names another
 * host (a hostile or misconfigured registry front) gets the upload without them. Front A asks
 * for Basic credentials and points every upload at front B; both forward to the real registry.
 */
import test from 'ava';
import { testEnv } from '../env/info.ts';
import { dockerConfigFor, registryFront } from './front.ts';
import { archiveIn, imagerFlags, runImager, scratchDir } from './helpers.ts';

test('an upload Location on another host gets no credentials', async (t) => {
  t.timeout(60_000);
  const { registry } = testEnv();
  const seenByB: (string | undefined)[] = [];
  const b = await registryFront(t, registry, (req) => {
    seenByB.push(req.headers.authorization);
    return false;
  });
  const a = await registryFront(
    t,
    registry,
    (req, res) => {
      if (req.headers.authorization) return false;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="front-a"' }).end();
      return true;
    },
    (req, headers) => {
      if (req.method !== 'POST' || !headers.location) return headers;
      const location = new URL(headers.location, registry.url);
      return { ...headers, location: `http://${b.host}${location.pathname}${location.search}` };
    },
  );
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
