/**
 * A registry (or a front) that reports another digest than the one sent: every blob PUT is
 * checked against `Docker-Content-Digest`, the layer's commit and the config's one-request
 * upload alike: refused (5), the archive kept.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { testEnv } from '../env/info.ts';
import { dockerConfigFor, registryFront } from './front.ts';
import { archiveIn, imagerFlags, runImager, scratchDir } from './helpers.ts';

const lie = `sha256:${'0'.repeat(64)}`;

for (const [what, lied] of [
  ['the layer commit (empty PUT)', (length: number) => length === 0],
  ['the config upload (PUT with its body)', (length: number) => length > 0],
] as const) {
  test(`a wrong Docker-Content-Digest on ${what} is refused (5)`, async (t) => {
    t.timeout(60_000);
    const { registry } = testEnv();
    const front = await registryFront(
      t,
      registry,
      () => false,
      (req, headers) => {
        const length = Number(req.headers['content-length'] ?? 0);
        const blobPut = req.method === 'PUT' && req.url?.includes('/blobs/uploads/');
        return blobPut && lied(length) ? { ...headers, 'docker-content-digest': lie } : headers;
      },
    );
    const dir = scratchDir(t);
    const archive = await archiveIn(dir);
    const dockerConfig = dockerConfigFor(dir, front.host, registry.username, registry.password);
    const run = await runImager(
      imagerFlags(archive, { repository: `${front.host}/imager-test/lying`, dockerConfig }),
    );
    t.is(run.code, 5, run.stderr);
    t.regex(run.stderr, new RegExp(`registry stored ${lie}, client sent sha256:[0-9a-f]{64}`));
    t.true(existsSync(archive));
  });
}
