/**
 * Pure tiers of the imager: reading a checkpoint archive's structure, deriving the
 * annotations, building the image documents, and parsing flags and environment.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkpointAnnotations,
  checkpointedAt,
  ociArch,
} from '../../reconcilers/imager/annotations.ts';
import { ArchiveError, scanCheckpointArchive } from '../../reconcilers/imager/archive.ts';
import { buildImageDocuments } from '../../reconcilers/imager/image.ts';
import { archiveLayer } from '../../reconcilers/imager/layer.ts';
import { parseImagerOptions, tagFromArchive } from '../../reconcilers/imager/options.ts';
import { tarHeader } from '../sim/checkpoint-archive.ts';
import { archiveIn, scratchDir } from './helpers.ts';

const host = { arch: 'amd64', kernel: '6.1.0' };

test('scanning a CRI-O checkpoint archive finds its entries and metadata', async (t) => {
  const archive = await archiveIn(scratchDir(t));
  const info = await scanCheckpointArchive(archive);
  t.is(info.entries, 11);
  t.like(info.metadata['config.dump'], {
    rootfsImageName: 'registry.example.com/app:1.0',
    runtime: 'runc',
  });
  t.like(info.metadata['spec.dump'], { annotations: { 'io.container.manager': 'cri-o' } });
});

test('scanning rejects what cannot be imaged, with the reason', async (t) => {
  const dir = scratchDir(t);
  const random = join(dir, 'random.tar');
  writeFileSync(random, randomBytes(4096));
  await t.throwsAsync(scanCheckpointArchive(random), {
    instanceOf: ArchiveError,
    message: /not a tar archive \(bad header checksum\)/,
  });

  const empty = join(dir, 'empty.tar');
  writeFileSync(empty, '');
  await t.throwsAsync(scanCheckpointArchive(empty), {
    instanceOf: ArchiveError,
    message: /not a tar archive/,
  });

  const notCheckpoint = join(dir, 'plain.tar');
  const data = Buffer.from('hello\n');
  writeFileSync(
    notCheckpoint,
    Buffer.concat([
      tarHeader('hello.txt', data.length, '0', new Date()),
      data,
      Buffer.alloc(506 + 1024),
    ]),
  );
  await t.throwsAsync(scanCheckpointArchive(notCheckpoint), {
    instanceOf: ArchiveError,
    message: /config\.dump is missing/,
  });

  const corrupt = await archiveIn(dir, { container: 'corrupt' });
  const fd = await open(corrupt, 'r+');
  await fd.write('Z', 1024 + 10); // "config.dump" → "config.duZ" in the second header
  await fd.close();
  await t.throwsAsync(scanCheckpointArchive(corrupt), {
    instanceOf: ArchiveError,
    message: /corrupt tar header at byte 1024/,
  });
});

test('scanning refuses a hostile entry size and what is not a file', async (t) => {
  const dir = scratchDir(t);
  const block = (data: Buffer) =>
    Buffer.concat([data, Buffer.alloc(511 - ((data.length + 511) % 512))]);
  const records = Buffer.from('17 size=-2000000\n');
  const data = Buffer.from('hello\n');
  const negative = join(dir, 'negative.tar');
  writeFileSync(
    negative,
    Buffer.concat([
      tarHeader('PaxHeaders/hello.txt', records.length, 'x', new Date()),
      block(records),
      tarHeader('hello.txt', data.length, '0', new Date()),
      block(data),
      Buffer.alloc(1024),
    ]),
  );
  await t.throwsAsync(scanCheckpointArchive(negative), {
    instanceOf: ArchiveError,
    message: /bad entry size at byte 1024/,
  });
  await t.throwsAsync(scanCheckpointArchive(dir), {
    instanceOf: ArchiveError,
    message: /not a regular file/,
  });
});

test('the layer refuses an archive that changed or went since it was scanned', async (t) => {
  const path = join(scratchDir(t), 'changing.tar');
  const size = 3 * 1024 * 1024 + 5;
  writeFileSync(path, Buffer.alloc(size, 1));
  const drain = async (scanned: number, compress: boolean) => {
    for await (const block of archiveLayer(path, scanned, compress).open()) t.truthy(block);
  };
  for (const compress of [false, true]) {
    await t.throwsAsync(drain(size - 1, compress), {
      instanceOf: ArchiveError,
      message: /grew while it was read/,
    });
    await t.throwsAsync(drain(size + 1, compress), {
      instanceOf: ArchiveError,
      message: /shrank while it was read: 3145733 of 3145734 bytes/,
    });
  }
  await t.notThrowsAsync(drain(size, false));
  rmSync(path);
  await t.throwsAsync(drain(size, false), { instanceOf: ArchiveError, message: /cannot read/ });
});

test('annotations follow checkpointctl: CRI-O and containerd spec annotations', (t) => {
  const crio = checkpointAnnotations(
    'app',
    {
      'config.dump': {
        rootfsImage: 'img@sha256:1',
        rootfsImageRef: 'ref',
        rootfsImageName: 'img:1',
        runtime: 'crun',
      },
      'spec.dump': {
        annotations: {
          'io.container.manager': 'cri-o',
          'io.kubernetes.pod.name': 'web',
          'io.kubernetes.pod.namespace': 'shop',
        },
      },
    },
    host,
  );
  t.deepEqual(crio, {
    'org.criu.checkpoint.container.name': 'app',
    'org.criu.checkpoint.engine.name': 'CRI-O',
    'org.criu.checkpoint.pod.name': 'web',
    'org.criu.checkpoint.pod.namespace': 'shop',
    'org.criu.checkpoint.rootfsImageUserRequested': 'img@sha256:1',
    'org.criu.checkpoint.rootfsImageName': 'img:1',
    'org.criu.checkpoint.rootfsImageID': 'ref',
    'org.criu.checkpoint.runtime.name': 'crun',
    'org.criu.checkpoint.host.arch': 'amd64',
    'org.criu.checkpoint.host.kernel': '6.1.0',
  });
  const containerd = checkpointAnnotations(
    'db',
    {
      'config.dump': {},
      'spec.dump': {
        annotations: {
          'io.kubernetes.cri.sandbox-name': 'pg',
          'io.kubernetes.cri.sandbox-namespace': 'data',
        },
      },
    },
    host,
  );
  t.like(containerd, {
    'org.criu.checkpoint.container.name': 'db',
    'org.criu.checkpoint.engine.name': 'containerd',
    'org.criu.checkpoint.pod.name': 'pg',
    'org.criu.checkpoint.pod.namespace': 'data',
  });
  t.false(
    'org.criu.checkpoint.rootfsImageName' in containerd,
    'values the archive lacks are left out',
  );
});

test('checkpoint time and architecture', (t) => {
  t.is(
    checkpointedAt({ 'config.dump': { checkpointedTime: '2024-01-28T00:10:45.673538606+05:30' } }),
    '2024-01-27T18:40:45.673Z',
  );
  t.is(checkpointedAt({ 'config.dump': { checkpointedTime: '0001-01-01T00:00:00Z' } }), undefined);
  t.is(ociArch('x64'), 'amd64');
  t.is(ociArch('arm64'), 'arm64');
});

test('image documents: CRI-O marker on the manifest, containerd marker on the index, deterministic', (t) => {
  const inputs = {
    container: 'app',
    arch: 'arm64',
    layer: {
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: `sha256:${'a'.repeat(64)}`,
      size: 10,
      diffId: `sha256:${'a'.repeat(64)}`,
    },
    checkpointAnnotations: { 'org.criu.checkpoint.container.name': 'app' },
  };
  const docs = buildImageDocuments(inputs);
  const manifest = JSON.parse(docs.manifest.body.toString()) as {
    annotations: Record<string, string>;
    config: { digest: string };
  };
  const index = JSON.parse(docs.index.body.toString()) as {
    manifests: { digest: string; platform: unknown }[];
    annotations: Record<string, string>;
  };
  t.is(manifest.annotations['io.kubernetes.cri-o.annotations.checkpoint.name'], 'app');
  t.is(manifest.config.digest, docs.config.descriptor.digest);
  t.is(index.annotations['org.criu.checkpoint.container.name'], 'app');
  t.deepEqual(index.manifests[0]!.platform, { architecture: 'arm64', os: 'linux' });
  t.is(index.manifests[0]!.digest, docs.manifest.descriptor.digest);
  t.is(buildImageDocuments(inputs).index.descriptor.digest, docs.index.descriptor.digest);
});

test('options: flags win over environment variables; defaults; bad input', (t) => {
  const env = {
    CONTINUUM_ARCHIVE: '/a.tar',
    CONTINUUM_CONTAINER: 'env',
    CONTINUUM_REPOSITORY: 'r.example.com/x',
    CONTINUUM_COMPRESS: 'true',
  };
  const o = parseImagerOptions(['--container', 'flag'], env);
  if (o === 'help') return t.fail();
  t.is(o.container, 'flag');
  t.is(o.archive, '/a.tar');
  t.deepEqual(o.repository, { registry: 'r.example.com', name: 'x' });
  t.true(o.compress);
  t.false(o.keepArchive);
  t.is(o.terminationMessagePath, '/dev/termination-log');
  t.false(o.terminationMessageExplicit);
  const defaults = parseImagerOptions(
    ['--archive', '/a.tar', '--container', 'c', '--repository', 'localhost:5000/x'],
    {},
  );
  if (defaults === 'help') return t.fail();
  t.false(defaults.compress, 'uncompressed by default');
  t.is(defaults.tag, 'a');
  t.is(parseImagerOptions(['--help'], {}), 'help');
  t.throws(() => parseImagerOptions(['--archive', '/a.tar', '--container', 'c'], {}), {
    message: /--repository/,
  });
  t.throws(
    () =>
      parseImagerOptions(
        ['--archive', '/a.tar', '--container', 'c', '--repository', 'noregistry'],
        {},
      ),
    { message: /expected host\[:port\]\/path/ },
  );
  t.throws(
    () =>
      parseImagerOptions(
        [
          '--archive',
          '/a.tar',
          '--container',
          'c',
          '--repository',
          'r.io/x',
          '--compress',
          '--no-compress',
        ],
        {},
      ),
    { message: /exclude/ },
  );
  t.throws(() => parseImagerOptions(['--bogus'], {}), { message: /bogus/ });
});

test('the default tag comes from the archive name', (t) => {
  t.is(
    tagFromArchive('/var/lib/kubelet/checkpoints/checkpoint-web_shop-app-2026-11-28T08:00:00Z.tar'),
    'checkpoint-web_shop-app-2026-11-28T08-00-00Z',
  );
  t.is(tagFromArchive('/x/.tar'), 'checkpoint');
});
