/**
 * A registry behind a proxy that limits request bodies (nginx's client_max_body_size): a
 * single-request upload is refused with a clear 413 error (exit 5, archive kept); with
 * --chunk-size under the limit the push goes through.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { testEnv } from '../env/info.ts';
import { dockerConfigFor, registryFront } from './front.ts';
import { archiveIn, imagerFlags, runImager, scratchDir, skopeoRaw } from './helpers.ts';

const limit = 4 * 1024 * 1024;

async function limitedFront(t: Parameters<typeof registryFront>[0]) {
  return registryFront(t, testEnv().registry, (req, res) => {
    if (Number(req.headers['content-length'] ?? 0) <= limit) return false;
    res.writeHead(413, { connection: 'close', 'content-type': 'text/html' });
    res.end('<html><center><h1>413 Request Entity Too Large</h1></center></html>');
    return true;
  });
}

test('an upload larger than a proxy allows fails with 413 (5); chunks under the limit pass', async (t) => {
  t.timeout(120_000);
  const { registry } = testEnv();
  const front = await limitedFront(t);
  const dir = scratchDir(t);
  const archive = await archiveIn(dir, { sizeBytes: 10 * 1024 * 1024 });
  const dockerConfig = dockerConfigFor(dir, front.host, registry.username, registry.password);
  const name = `imager-test/limited-${Math.random().toString(36).slice(2, 8)}`;
  const flags = imagerFlags(archive, {
    repository: `${front.host}/${name}`,
    tag: 't',
    dockerConfig,
  });

  const refused = await runImager(flags);
  t.is(refused.code, 5, refused.stderr);
  t.regex(refused.stderr, /request too large for the registry or a proxy in front of it \(413\)/);
  t.true(existsSync(archive));

  const chunked = await runImager([...flags, '--chunk-size', String(limit)]);
  t.is(chunked.code, 0, chunked.stderr);
  const index = (await skopeoRaw(registry, `${registry.host}/${name}:t`)) as {
    manifests: unknown[];
  };
  t.is(index.manifests.length, 1);
});
