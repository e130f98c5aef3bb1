/**
 * `continuum fetch-checkpoint` against the environment's registries: a pushed checkpoint image
 * lands in the checkpoint volume as a layout the wrapper verifies (checkpoint-image.ts), over
 * TLS with the CA and over plain HTTP, in Range-request pieces; a digest the registry does not
 * hold, wrong credentials and bad flags end with their exit code and reason.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { verifyCheckpointImage } from '../../reconcilers/restore/checkpoint-image.ts';
import { testEnv } from '../env/info.ts';
import {
  archiveIn,
  imagerFlags,
  runImager,
  scratchDir,
  uniqueRepository,
} from '../imager/helpers.ts';

const bin = resolve(import.meta.dirname, '../../bin/continuum.js');

function fetch(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, 'fetch-checkpoint', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
}

async function pushed(t: Parameters<typeof scratchDir>[0], tls: boolean) {
  const env = testEnv();
  const registry = tls ? env.tlsRegistry : env.registry;
  const dir = scratchDir(t, 'fetch-test-');
  // 9 MiB: three Range pieces of 4 MiB
  const archive = await archiveIn(dir, { sizeBytes: 9 * 1024 * 1024 + 3 });
  const repository = uniqueRepository(registry, 'fetch');
  const pushedImage = await runImager(
    imagerFlags(archive, { repository, dockerConfig: registry.dockerConfig }),
    tls ? { CONTINUUM_CA_FILE: env.caFile } : { CONTINUUM_PLAIN_HTTP: 'true' },
  );
  t.is(pushedImage.code, 0, pushedImage.stderr);
  return { dir, registry, image: `${repository}@${pushedImage.stdout.trim()}` };
}

for (const tls of [true, false]) {
  test(`a checkpoint image is fetched by digest into a verified layout (${tls ? 'TLS' : 'plain HTTP'})`, async (t) => {
    const { dir, registry, image } = await pushed(t, tls);
    const volume = join(dir, 'volume');
    const env = testEnv();
    const result = fetch(
      [
        '--image',
        image,
        '--container',
        'app',
        '--dir',
        volume,
        '--docker-config',
        registry.dockerConfig,
        ...(tls ? [] : ['--plain-http']),
      ],
      tls ? { CONTINUUM_CA_PEM: readFileSync(env.caFile, 'utf8') } : {},
    );
    t.is(result.status, 0, result.stderr);
    t.regex(result.stdout, /fetched .* for app in \d+ ms/);
    const verified = await verifyCheckpointImage(join(volume, 'app'), image.split('@')[1]!);
    t.true(statSync(verified.layer).size > 9 * 1024 * 1024, 'the whole layer, in pieces');
    t.false(verified.gzip);
  });
}

test('a digest the registry does not hold, or bad credentials, fail with the reason', async (t) => {
  const { dir, registry, image } = await pushed(t, false);
  const missing = image.replace(/@sha256:.*/, `@sha256:${'0'.repeat(64)}`);
  const notThere = fetch([
    '--image',
    missing,
    '--container',
    'app',
    '--dir',
    join(dir, 'v1'),
    '--docker-config',
    registry.dockerConfig,
    '--plain-http',
  ]);
  t.is(notThere.status, 1);
  t.regex(notThere.stderr, /404|MANIFEST_UNKNOWN|not found/i);
  t.false(existsSync(join(dir, 'v1', 'app', 'blobs', 'sha256', '0'.repeat(64))));
  const anonymous = fetch([
    '--image',
    image,
    '--container',
    'app',
    '--dir',
    join(dir, 'v2'),
    '--plain-http',
  ]);
  t.is(anonymous.status, 1);
  t.regex(anonymous.stderr, /requires credentials/);
  const byTag = fetch([
    '--image',
    image.replace(/@.*/, ':latest'),
    '--container',
    'app',
    '--dir',
    dir,
  ]);
  t.is(byTag.status, 2);
  t.regex(byTag.stderr, /by digest/);
});
