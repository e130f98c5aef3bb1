/**
 * A re-run of the imager on the same archive (a retried imaging Job) finds the layer recorded
 * next to the archive and, the registry holding it, uploads no layer bytes; an archive changed
 * since is uploaded again. Bytes are counted by an HTTP front before the real registry.
 * The record's own rules are checked on files alone.
 */
import test from 'ava';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { sleep } from '../env/wait.ts';
import {
  fileIdentity,
  layerRecordPath,
  recalledLayer,
  recordLayer,
} from '../../reconcilers/imager/layer-record.ts';
import { testEnv } from '../env/info.ts';
import { dockerConfigFor, registryFront } from './front.ts';
import { archiveIn, imagerFlags, runImager, scratchDir, skopeoRaw } from './helpers.ts';

/** Waits until the archive has not changed for a second: only then is its layer recorded. */
async function settle(archive: string): Promise<void> {
  const age = Date.now() - statSync(archive).ctimeMs;
  if (age < 1100) await sleep(1100 - age);
}

test('a re-run uploads no layer bytes when the registry holds the recorded layer; a changed archive is uploaded again', async (t) => {
  t.timeout(120_000);
  const { registry } = testEnv();
  let uploaded = 0;
  const front = await registryFront(t, registry, (req) => {
    if (req.url?.includes('/blobs/uploads/'))
      req.on('data', (chunk: Buffer) => (uploaded += chunk.length));
    return false;
  });
  const dir = scratchDir(t);
  const size = 8 * 1024 * 1024;
  const archive = await archiveIn(dir, { sizeBytes: size });
  const dockerConfig = dockerConfigFor(dir, front.host, registry.username, registry.password);
  const name = `imager-test/rerun-${Math.random().toString(36).slice(2, 8)}`;
  const flags = imagerFlags(
    archive,
    { repository: `${front.host}/${name}`, tag: 't', dockerConfig },
    '--keep-archive',
  );
  await settle(archive);

  const first = await runImager(flags);
  const firstBytes = uploaded;
  const second = await runImager(flags);
  const secondBytes = uploaded - firstBytes;

  t.is(first.code, 0, first.stderr);
  t.is(second.code, 0, second.stderr);
  t.true(existsSync(`${archive}.layer.json`), 'the layer is recorded next to the archive');
  t.true(firstBytes > size, `the first run uploaded the layer (${firstBytes} bytes)`);
  t.true(secondBytes < 4096, `the re-run uploaded ${secondBytes} bytes (the config only)`);
  t.regex(second.stderr, /is in the registry already \(recorded by an earlier run\)/);
  t.is(second.stdout, first.stdout, 'the same image');
  const index = (await skopeoRaw(registry, `${registry.host}/${name}:t`)) as {
    manifests: { digest: string }[];
  };
  const manifest = (await skopeoRaw(
    registry,
    `${registry.host}/${name}@${index.manifests[0]!.digest}`,
  )) as { layers: { size: number }[] };
  t.is(manifest.layers[0]!.size, statSync(archive).size);

  // The same file name, other content of the same size: the record no longer applies.
  await archiveIn(dir, { sizeBytes: size });
  const before = uploaded;
  const changed = await runImager(flags.filter((f) => f !== '--keep-archive'));
  t.is(changed.code, 0, changed.stderr);
  t.true(uploaded - before > size, 'the changed archive was uploaded');
  t.not(changed.stdout, first.stdout, 'another image');
  t.false(existsSync(archive), 'the archive is deleted after success');
  t.false(existsSync(`${archive}.layer.json`), 'and its record with it');
});

test('a record answers only for its repository and media type, when well-formed and settled', async (t) => {
  const dir = scratchDir(t);
  const archive = await archiveIn(dir);
  const layer = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    digest: `sha256:${'a'.repeat(64)}`,
    size: statSync(archive).size,
    diffId: `sha256:${'a'.repeat(64)}`,
  };
  t.regex(
    (await recordLayer(archive, await fileIdentity(archive), 'r.io/a', layer)) ?? '',
    /changed less than a second before/,
    'a file just written is not recorded',
  );
  await settle(archive);
  t.is(await recordLayer(archive, await fileIdentity(archive), 'r.io/a', layer), undefined);

  t.deepEqual(await recalledLayer(archive, 'r.io/a', layer.mediaType), layer);
  t.is(await recalledLayer(archive, 'r.io/b', layer.mediaType), undefined);
  t.is(await recalledLayer(archive, 'r.io/a', `${layer.mediaType}+gzip`), undefined);
  writeFileSync(layerRecordPath(archive), JSON.stringify({ repository: 'r.io/a', layer: {} }));
  t.is(await recalledLayer(archive, 'r.io/a', layer.mediaType), undefined, 'malformed');
});
