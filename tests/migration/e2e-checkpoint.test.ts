/**
 * End to end, checkpoint migrations through the simulated node level: the simulated kubelet
 * (real TokenReview/SubjectAccessReview) writes the archive, the imaging Job runs
 * `continuum imager` on the source node (simulated job runner), the image is pushed to the real
 * registry and verified by digest, and the pod comes back on the cloud node from that image.
 * Faults: kubelet 500 and timeout, registry down — the source is never touched.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { BatchV1Api } from '@kubernetes/client-node';
import { imageExists } from '../../reconcilers/registry/client.ts';
import { testEnv } from '../env/info.ts';
import { PULL_SECRET, PUSH_SECRET, harness, isPhase, type Harness } from './harness.ts';
import { waitFor } from '../env/wait.ts';

let h: Harness;
const FAULT = 'sim.continuum.dev/checkpoint-fault';
const credentials = () => ({
  username: testEnv().registry.username,
  password: testEnv().registry.password,
});
const image = () => ({
  repository: h.repository,
  pushSecretRef: { name: PUSH_SECRET },
  pullSecretRef: { name: PULL_SECRET },
});
const archivesOn = (node: string) => {
  const dir = join(
    testEnv().nodes.find((n) => n.name === node)!.rootDir,
    'var/lib/kubelet/checkpoints',
  );
  return existsSync(dir) ? readdirSync(dir) : [];
};

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-checkpoint');
  h.startOperator({ env: { CONTINUUM_CHECKPOINT_TIMEOUT: '3' } });
});

test.after.always(async () => {
  await h?.cleanup();
});

test('checkpoint: the pod comes back on the cloud node from the pushed, verified checkpoint image', async (t) => {
  t.timeout(300_000);
  const source = await h.createPod('counter', { labels: { tier: 'back' } });
  await h.createMigration('move-counter', {
    podName: 'counter',
    restorePolicy: 'checkpoint',
    image: image(),
  });
  const m = await h.waitForMigration('move-counter', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  const ref = m.status!.image!;
  t.regex(ref, new RegExp(`^${h.repository}@sha256:[a-f0-9]{64}$`));
  // the restored pod Ready, the operator deletes the checkpoint image from the registry
  const cleaned = await h.waitForMigration(
    'move-counter',
    (x) => Boolean(x.status?.conditions?.some((c) => c.type === 'ImagesDeleted')),
    30_000,
  );
  t.like(
    cleaned.status?.conditions?.find((c) => c.type === 'ImagesDeleted'),
    {
      status: 'True',
      reason: 'Deleted',
    },
  );
  t.false(await imageExists(ref, { credentials: credentials() }), 'the manifest is gone');
  const target = await h.core.readNamespacedPod({
    namespace: h.namespace,
    name: m.status!.targetPod!,
  });
  t.is(target.spec?.nodeName, 'cloud-1');
  t.is(target.spec?.containers[0]?.image, ref);
  t.deepEqual(
    target.spec?.imagePullSecrets?.map((s) => s.name),
    [PULL_SECRET],
  );
  t.is(target.metadata?.labels?.tier, 'back');
  t.is(m.status?.checkpoint?.archives[0]?.container, 'worker');
  t.truthy(m.status?.phaseTransitionTimestamps?.Checkpointing);
  t.truthy(m.status?.phaseTransitionTimestamps?.Imaging);
  const pods = await h.pods();
  t.false(
    pods.some((p) => p.metadata?.uid === source.metadata?.uid && !p.metadata?.deletionTimestamp),
    'source deleted',
  );
  const batch = h.kc.makeApiClient(BatchV1Api);
  // the Job controller may mark it finished a moment after the Migration is Done
  const job = await waitFor('the imaging Job finished', async () => {
    const jobs = await batch.listNamespacedJob({
      namespace: h.namespace,
      labelSelector: 'continuum.dev/migration=move-counter',
    });
    return jobs.items.find((j) => j.status?.succeeded === 1);
  });
  t.is(job.spec?.ttlSecondsAfterFinished, 600, 'the imaging Job stays, finished, for its TTL');
  t.false(
    archivesOn('edge-1').some((f) => f.includes('counter_')),
    'the imager deleted the archive',
  );
});

test('kubelet 500: retried, then Failed with CheckpointFailed; the source untouched', async (t) => {
  t.timeout(180_000);
  const source = await h.createPod('err500', { annotations: { [FAULT]: '500' } });
  await h.createMigration('move-err500', {
    podName: 'err500',
    restorePolicy: 'checkpoint',
    image: image(),
  });
  const m = await h.waitForMigration('move-err500', isPhase('Done', 'Failed'));
  t.is(m.status?.failureReason, 'CheckpointFailed');
  t.is(m.status?.attempts, 5);
  t.regex(
    m.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /kubelet answered 500/,
  );
  const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'err500' });
  t.is(pod.metadata?.uid, source.metadata?.uid);
  t.falsy(pod.metadata?.deletionTimestamp);
});

test('a pod re-created under its name mid-checkpoint is not migrated: Failed, the new pod untouched', async (t) => {
  t.timeout(180_000);
  await h.createPod('reborn', { annotations: { [FAULT]: 'delay=3s' } });
  await h.createMigration('move-reborn', {
    podName: 'reborn',
    restorePolicy: 'checkpoint',
    image: image(),
  });
  await h.waitForMigration('move-reborn', isPhase('Checkpointing'));
  // while the checkpoint call is in flight, the pod is replaced by another of the same name
  await h.core.deleteNamespacedPod({
    namespace: h.namespace,
    name: 'reborn',
    gracePeriodSeconds: 0,
  });
  await waitFor('the old pod gone', async () =>
    h.core.readNamespacedPod({ namespace: h.namespace, name: 'reborn' }).then(
      () => undefined,
      () => true,
    ),
  );
  // not waiting for it to be Ready: kwok may take long for a name it saw deleted a moment ago
  const reborn = await h.core.createNamespacedPod({
    namespace: h.namespace,
    body: {
      metadata: { name: 'reborn' },
      spec: { nodeName: 'edge-1', containers: [{ name: 'worker', image: 'busybox:1.36' }] },
    },
  });
  const m = await h.waitForMigration('move-reborn', isPhase('Done', 'Failed'));
  t.is(m.status?.failureReason, 'SourcePodGone');
  const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'reborn' });
  t.is(pod.metadata?.uid, reborn.metadata?.uid);
  t.falsy(pod.metadata?.deletionTimestamp);
});

test('kubelet timeout: retried, then Failed; the source untouched', async (t) => {
  t.timeout(240_000);
  const source = await h.createPod('slow', { annotations: { [FAULT]: 'timeout' } });
  await h.createMigration('move-slow', {
    podName: 'slow',
    restorePolicy: 'checkpoint',
    image: image(),
  });
  const m = await h.waitForMigration('move-slow', isPhase('Done', 'Failed'), 200_000);
  t.is(m.status?.failureReason, 'CheckpointFailed');
  t.is(m.status?.attempts, 5);
  const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'slow' });
  t.is(pod.metadata?.uid, source.metadata?.uid);
  t.falsy(pod.metadata?.deletionTimestamp);
});

test('registry down during Imaging: the Job retries, then Failed; the source untouched', async (t) => {
  t.timeout(400_000);
  const source = await h.createPod('offline');
  // a loopback port nothing listens on plays the registry that is down
  const down = { repository: '127.0.0.1:9/continuum/down', pushSecretRef: { name: PUSH_SECRET } };
  await h.createMigration('move-offline', {
    podName: 'offline',
    restorePolicy: 'checkpoint',
    image: down,
    timeoutSeconds: 900,
  });
  const batch = h.kc.makeApiClient(BatchV1Api);
  const retried = await waitFor(
    'a failed imaging pod retried',
    async () => {
      const jobs = (await batch.listNamespacedJob({ namespace: h.namespace })).items;
      return jobs.find((j) => (j.status?.failed ?? 0) >= 1);
    },
    240_000,
  );
  t.truthy(retried);
  t.is(
    (await h.getMigration('move-offline'))?.status?.phase,
    'Imaging',
    'still imaging while the Job retries',
  );
  const m = await h.waitForMigration('move-offline', isPhase('Done', 'Failed'), 360_000);
  t.is(m.status?.failureReason, 'ImagingFailed');
  t.is(m.status?.image, undefined);
  const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'offline' });
  t.is(pod.metadata?.uid, source.metadata?.uid);
  t.falsy(pod.metadata?.deletionTimestamp);
});

test('a Migration deleted mid-Imaging: a cleanup Job removes its archive from the node', async (t) => {
  t.timeout(300_000);
  const source = await h.createPod('dropped');
  const down = { repository: '127.0.0.1:9/continuum/down', pushSecretRef: { name: PUSH_SECRET } };
  await h.createMigration('move-dropped', {
    podName: 'dropped',
    restorePolicy: 'checkpoint',
    image: down,
  });
  const imaging = await h.waitForMigration(
    'move-dropped',
    (m) => m.status?.phase === 'Imaging',
    180_000,
  );
  const archive = imaging.status!.checkpoint!.archives[0]!.path;
  const onNode = join(
    testEnv().nodes.find((n) => n.name === imaging.status!.sourceNode)!.rootDir,
    archive,
  );
  t.true(existsSync(onNode), 'the archive is on the node while imaging');
  await h.custom.deleteNamespacedCustomObject({
    group: 'continuum.dev',
    version: 'v1alpha1',
    plural: 'migrations',
    namespace: h.namespace,
    name: 'move-dropped',
  });
  await waitFor(
    'Migration gone',
    async () => ((await h.getMigration('move-dropped')) ? undefined : true),
    60_000,
  );
  await waitFor('archive removed', async () => (existsSync(onNode) ? undefined : true), 180_000);
  const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'dropped' });
  t.is(pod.metadata?.uid, source.metadata?.uid, 'the source still runs');
  t.falsy(pod.metadata?.deletionTimestamp);
});
