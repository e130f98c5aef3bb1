/**
 * The imager against the real registries of the test environment (docker-registry with
 * htpasswd, over HTTP and over TLS): what it pushes is what CRI-O and containerd look for,
 * and what umoci unpacks is the archive, byte for byte.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { testEnv } from '../env/info.ts';
import {
  archiveIn,
  execFileAsync,
  imagerFlags,
  runImager,
  scratchDir,
  skopeoCreds,
  skopeoRaw,
  uniqueRepository,
} from './helpers.ts';

const sha256File = (path: string) =>
  `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;

interface Index {
  mediaType: string;
  manifests: { mediaType: string; digest: string; platform: { os: string } }[];
  annotations: Record<string, string>;
}
interface Manifest {
  mediaType: string;
  config: { digest: string };
  layers: { mediaType: string; digest: string; size: number }[];
  annotations: Record<string, string>;
}

test('pushes an image that carries the CRI-O and containerd restore markers, verified by digest', async (t) => {
  t.timeout(120_000);
  const { registry } = testEnv();
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const archiveDigest = sha256File(archive);
  const archiveSize = readFileSync(archive).length;
  const terminationLog = join(dir, 'termination-log');
  const repo = uniqueRepository(registry, 'markers');

  const run = await runImager(
    imagerFlags(
      archive,
      { repository: repo, tag: 'v1', dockerConfig: registry.dockerConfig },
      '--termination-message-path',
      terminationLog,
    ),
  );

  t.is(run.code, 0, run.stderr);
  const digest = run.stdout.trim();
  t.regex(digest, /^sha256:[a-f0-9]{64}$/);
  t.is(readFileSync(terminationLog, 'utf8'), digest);
  t.false(existsSync(archive), 'the archive is deleted after success');

  const index = (await skopeoRaw(registry, `${repo}:v1`)) as unknown as Index;
  t.is(index.mediaType, 'application/vnd.oci.image.index.v1+json');
  t.like(index.annotations, {
    'org.criu.checkpoint.container.name': 'app',
    'org.criu.checkpoint.engine.name': 'CRI-O',
    'org.criu.checkpoint.pod.name': 'web',
    'org.criu.checkpoint.pod.namespace': 'shop',
    'org.criu.checkpoint.rootfsImageName': 'registry.example.com/app:1.0',
  });
  t.is(index.manifests.length, 1);
  t.is(index.manifests[0]!.platform.os, 'linux');
  const byDigest = (await skopeoRaw(registry, `${repo}@${digest}`)) as unknown as Index;
  t.deepEqual(byDigest, index, 'the printed digest names the index at the tag');

  const manifest = (await skopeoRaw(
    registry,
    `${repo}@${index.manifests[0]!.digest}`,
  )) as unknown as Manifest;
  t.is(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  t.is(manifest.annotations['io.kubernetes.cri-o.annotations.checkpoint.name'], 'app');
  t.deepEqual(manifest.layers, [
    {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: archiveDigest,
      size: archiveSize,
    },
  ]);

  const { stdout } = await execFileAsync('skopeo', [
    'inspect',
    '--config',
    ...skopeoCreds(registry),
    `docker://${repo}:v1`,
  ]);
  const config = JSON.parse(stdout) as {
    os: string;
    rootfs: { diff_ids: string[] };
    created: string;
  };
  t.deepEqual(config.rootfs.diff_ids, [archiveDigest]);
  t.is(
    new Date(config.created).toISOString(),
    '2026-11-28T08:00:00.000Z',
    'created is the checkpoint time',
  );
});

test('over TLS with a CA file and gzip (settings from the environment): diff_id is the archive digest', async (t) => {
  t.timeout(120_000);
  const env = testEnv();
  const registry = env.tlsRegistry;
  const dir = scratchDir(t);
  const archive = await archiveIn(dir, { contentKind: 'zero', sizeBytes: 4 * 1024 * 1024 });
  const archiveDigest = sha256File(archive);
  const repo = uniqueRepository(registry, 'tls-gzip');

  const run = await runImager([], {
    CONTINUUM_ARCHIVE: archive,
    CONTINUUM_CONTAINER: 'app',
    CONTINUUM_REPOSITORY: repo,
    CONTINUUM_TAG: 'gz',
    CONTINUUM_DOCKER_CONFIG: registry.dockerConfig,
    CONTINUUM_CA_FILE: env.caFile,
    CONTINUUM_COMPRESS: 'true',
    CONTINUUM_KEEP_ARCHIVE: 'true',
  });

  t.is(run.code, 0, run.stderr);
  t.true(existsSync(archive), '--keep-archive keeps it');
  const index = (await skopeoRaw(registry, `${repo}:gz`)) as unknown as Index;
  const manifest = (await skopeoRaw(
    registry,
    `${repo}@${index.manifests[0]!.digest}`,
  )) as unknown as Manifest;
  t.is(manifest.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  t.true(manifest.layers[0]!.size < 100_000, 'zero-filled pages compress');
  const { stdout } = await execFileAsync('skopeo', [
    'inspect',
    '--config',
    ...skopeoCreds(registry),
    `docker://${repo}:gz`,
  ]);
  t.deepEqual((JSON.parse(stdout) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids, [
    archiveDigest,
  ]);
});

for (const compress of [false, true]) {
  test(`umoci unpacks the archive's files byte-identical (${compress ? 'gzip' : 'uncompressed'})`, async (t) => {
    t.timeout(120_000);
    const { registry } = testEnv();
    const dir = scratchDir(t);
    const archive = await archiveIn(dir, { sizeBytes: 3 * 1024 * 1024 + 1 });
    const repo = uniqueRepository(registry, 'umoci');
    const flags = imagerFlags(
      archive,
      { repository: repo, tag: 't', dockerConfig: registry.dockerConfig },
      '--keep-archive',
    );
    const run = await runImager(compress ? [...flags, '--compress'] : flags);
    t.is(run.code, 0, run.stderr);

    const layout = join(dir, 'layout');
    await execFileAsync('skopeo', [
      'copy',
      '--src-creds',
      `${registry.username}:${registry.password}`,
      '--src-tls-verify=false',
      `docker://${repo}:t`,
      `oci:${layout}:t`,
    ]);
    await execFileAsync('umoci', ['unpack', '--image', `${layout}:t`, join(dir, 'bundle')]);
    const expected = join(dir, 'expected');
    await mkdir(expected);
    await execFileAsync('tar', ['-xf', archive, '-C', expected]);
    const diff = await execFileAsync('diff', ['-r', expected, join(dir, 'bundle', 'rootfs')]).then(
      () => '',
      (err: { stdout: string }) => err.stdout || 'diff failed',
    );
    t.is(diff, '');
    t.true(existsSync(join(dir, 'bundle', 'rootfs', 'checkpoint', 'pages-1.img')));
  });
}

test('writes an OCI layout instead of pushing; skopeo copy --all takes it to a registry unchanged', async (t) => {
  t.timeout(120_000);
  const { registry } = testEnv();
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const layout = join(dir, 'layout');
  const run = await runImager(imagerFlags(archive, { ociLayout: layout, tag: 'air-gapped' }));
  t.is(run.code, 0, run.stderr);
  const digest = run.stdout.trim();
  t.false(existsSync(archive));

  const { stdout } = await execFileAsync('skopeo', [
    'inspect',
    '--raw',
    `oci:${layout}:air-gapped`,
  ]);
  const index = JSON.parse(stdout) as Index;
  t.is(index.annotations['org.criu.checkpoint.container.name'], 'app');

  const repo = uniqueRepository(registry, 'layout');
  await execFileAsync('skopeo', [
    'copy',
    '--all',
    '--preserve-digests',
    '--dest-creds',
    `${registry.username}:${registry.password}`,
    '--dest-tls-verify=false',
    `oci:${layout}:air-gapped`,
    `docker://${repo}:air-gapped`,
  ]);
  const { stdout: pushed } = await execFileAsync('skopeo', [
    'inspect',
    '--format',
    '{{.Digest}}',
    ...skopeoCreds(registry),
    `docker://${repo}:air-gapped`,
  ]);
  t.is(pushed.trim(), digest);
});

test('imaging the same archive twice gives the same digest', async (t) => {
  t.timeout(120_000);
  const { registry } = testEnv();
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const repo = uniqueRepository(registry, 'twice');
  const flags = imagerFlags(
    archive,
    { repository: repo, dockerConfig: registry.dockerConfig },
    '--keep-archive',
  );
  const first = await runImager(flags);
  const second = await runImager(flags);
  t.is(first.code, 0, first.stderr);
  t.is(second.code, 0, second.stderr);
  t.is(second.stdout, first.stdout);
  const tags = await execFileAsync('skopeo', [
    'list-tags',
    ...skopeoCreds(registry),
    `docker://${repo}`,
  ]);
  t.deepEqual((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, [
    'checkpoint-web_shop-app-2026-11-28T08-00-00Z',
  ]);
});
