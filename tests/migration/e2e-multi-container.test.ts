/**
 * End to end, checkpoint migrations of a pod with two containers through the simulated node
 * level: one kubelet checkpoint, one archive and one image per container, built by one imaging
 * Job with a `continuum imager` container per archive. spec.containers narrows the migration to
 * some containers: the others come back from their original image.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import type { Migration } from '../../reconcilers/api/types.ts';
import { crioCheckpointAnnotation } from '../../reconcilers/imager/annotations.ts';
import { imageExists } from '../../reconcilers/registry/client.ts';
import { testEnv } from '../env/info.ts';
import { skopeoRaw } from '../imager/helpers.ts';
import { PULL_SECRET, PUSH_SECRET, harness, isPhase, type Harness } from './harness.ts';

let h: Harness;
const image = () => ({
  repository: h.repository,
  pushSecretRef: { name: PUSH_SECRET },
  pullSecretRef: { name: PULL_SECRET },
  retain: true, // read back after Done
});
const archivesOf = (node: string, pod: string) => {
  const root = testEnv().nodes.find((n) => n.name === node)!.rootDir;
  const dir = join(root, 'var/lib/kubelet/checkpoints');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`checkpoint-${pod}_`)) : [];
};

/** The CRI-O checkpoint annotation of the image manifest behind an index reference. */
async function checkpointedContainer(ref: string): Promise<string | undefined> {
  const registry = testEnv().registry;
  const index = (await skopeoRaw(registry, ref)) as { manifests: Array<{ digest: string }> };
  const at = `${ref.slice(0, ref.indexOf('@'))}@${index.manifests[0]!.digest}`;
  const manifest = (await skopeoRaw(registry, at)) as { annotations?: Record<string, string> };
  return manifest.annotations?.[crioCheckpointAnnotation];
}

async function restoredPod(m: Migration) {
  return h.core.readNamespacedPod({ namespace: h.namespace, name: m.status!.targetPod! });
}

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-multi');
  h.startOperator();
});

test.after.always(async () => {
  await h?.cleanup();
});

test('two containers: one archive and one verified image per container, each restored from its own', async (t) => {
  t.timeout(300_000);
  await h.createPod('duo', { containers: ['app', 'sidecar'] });
  await h.createMigration('move-duo', {
    podName: 'duo',
    restorePolicy: 'checkpoint',
    image: image(),
  });
  const m = await h.waitForMigration('move-duo', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  const archives = m.status?.checkpoint?.archives ?? [];
  t.deepEqual(
    archives.map((a) => a.container),
    ['app', 'sidecar'],
  );
  t.true(archives.every((a) => a.path.includes(`checkpoint-duo_${h.namespace}-${a.container}-`)));
  const refs = archives.map((a) => a.image ?? '');
  for (const ref of refs) t.regex(ref, new RegExp(`^${h.repository}@sha256:[a-f0-9]{64}$`));
  t.not(refs[0], refs[1], 'one image per container');
  const { username, password } = testEnv().registry;
  for (const [i, a] of archives.entries()) {
    t.true(await imageExists(refs[i]!, { credentials: { username, password } }), a.container);
    t.is(await checkpointedContainer(refs[i]!), a.container, 'annotated with its container');
  }
  const target = await restoredPod(m);
  t.is(target.spec?.nodeName, 'cloud-1');
  t.deepEqual(
    target.spec?.containers.map((c) => [c.name, c.image]),
    archives.map((a) => [a.container, a.image]),
  );
  t.deepEqual(archivesOf('edge-1', 'duo'), [], 'the imagers deleted both archives');
});

test('spec.containers: only the named container is checkpointed; the other restarts from its image', async (t) => {
  t.timeout(300_000);
  await h.createPod('pair', { containers: ['app', 'sidecar'] });
  await h.createMigration('move-pair', {
    podName: 'pair',
    restorePolicy: 'checkpoint',
    containers: ['sidecar'],
    image: image(),
  });
  const m = await h.waitForMigration('move-pair', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.deepEqual(
    m.status?.checkpoint?.archives.map((a) => a.container),
    ['sidecar'],
  );
  const ref = m.status!.checkpoint!.archives[0]!.image!;
  t.is(m.status?.image, ref, 'one container moved: status.image repeats its image');
  t.is(await checkpointedContainer(ref), 'sidecar');
  const target = await restoredPod(m);
  t.deepEqual(
    target.spec?.containers.map((c) => [c.name, c.image]),
    [
      ['app', 'busybox:1.36'],
      ['sidecar', ref],
    ],
  );
  t.deepEqual(archivesOf('edge-1', 'pair'), []);
});

test('spec.containers naming a container the pod lacks: Failed with ContainerNotFound, the pod untouched', async (t) => {
  t.timeout(120_000);
  const source = await h.createPod('solo', { containers: ['app'] });
  await h.createMigration('move-solo', {
    podName: 'solo',
    restorePolicy: 'checkpoint',
    containers: ['app', 'ghost'],
    image: image(),
  });
  const m = await h.waitForMigration('move-solo', isPhase('Done', 'Failed'));
  t.is(m.status?.failureReason, 'ContainerNotFound');
  t.regex(m.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /"ghost"/);
  t.is(m.status?.checkpoint, undefined, 'nothing checkpointed');
  const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'solo' });
  t.is(pod.metadata?.uid, source.metadata?.uid);
  t.falsy(pod.metadata?.deletionTimestamp);
});
