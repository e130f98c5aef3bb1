/**
 * End to end, restart migrations: the operator (chart ServiceAccount) moves pods from an edge
 * node to the cloud node by recreating them; the source never goes before its replacement is
 * Ready; failures leave the source untouched.
 */
import test from 'ava';
import { AppsV1Api } from '@kubernetes/client-node';
import type { Migration } from '../../reconcilers/api/types.ts';
import { harness, isPhase, type Harness } from './harness.ts';
import { waitFor } from '../env/wait.ts';

let h: Harness;

/** Waits until the Migration's restored pod is gone (or going): rolled back. */
const waitForNoRestoredPod = (m: Migration) =>
  waitFor(
    `restored pod ${m.status?.targetPod} gone`,
    async () =>
      !(await h.pods()).some(
        (p) => p.metadata?.name === m.status?.targetPod && !p.metadata?.deletionTimestamp,
      ),
    20_000,
  );

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-restart');
  h.startOperator();
});

test.after.always(async () => {
  await h?.cleanup();
});

test.serial(
  'restart: the pod is recreated on the cloud node, then the source is deleted',
  async (t) => {
    t.timeout(240_000);
    const source = await h.createPod('web', { labels: { tier: 'front' } });
    await h.createMigration('move-web', { podName: 'web', restorePolicy: 'restart' });
    const m = await h.waitForMigration('move-web', isPhase('Done', 'Failed'), 180_000);
    t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
    const target = await h.core.readNamespacedPod({
      namespace: h.namespace,
      name: m.status!.targetPod!,
    });
    t.is(target.spec?.nodeName, 'cloud-1');
    t.is(m.status?.targetNode, 'cloud-1');
    t.is(m.status?.sourceNode, 'edge-1');
    t.is(target.spec?.containers[0]?.image, 'busybox:1.36');
    t.is(target.metadata?.labels?.tier, 'front');
    t.is(target.metadata?.labels?.['continuum.dev/migration'], 'move-web');
    const pods = await h.pods();
    t.false(
      pods.some((p) => p.metadata?.uid === source.metadata?.uid && !p.metadata?.deletionTimestamp),
      'source deleted',
    );
    t.like(
      m.status?.conditions?.find((c) => c.type === 'Ready'),
      { status: 'True', reason: 'Succeeded' },
    );
    t.truthy(m.status?.phaseTransitionTimestamps?.Restoring);
    t.truthy(m.status?.duration);
    t.is(m.metadata.finalizers?.includes('continuum.dev/cleanup'), true);
    const events = await waitFor('Succeeded event', async () => {
      const list = await h.core.listNamespacedEvent({
        namespace: h.namespace,
        fieldSelector: `involvedObject.name=move-web`,
      });
      return list.items.some((e) => e.reason === 'Succeeded') ? list.items : undefined;
    });
    const succeeded = events.find((e) => e.reason === 'Succeeded');
    t.regex(succeeded?.message ?? '', /; deleted source pod "web" \(/);
    t.false(
      events.some((e) => e.reason === 'SourceDeleted'),
      'told once, by Succeeded',
    );
  },
);

test.serial('a pod owned by a controller fails fast and is not deleted', async (t) => {
  t.timeout(180_000);
  // a real owner, or the garbage collector deletes the pod; a Deployment never touches pods itself
  const deployment = await h.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: h.namespace,
    body: {
      metadata: { name: 'owner' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'none' } },
        template: {
          metadata: { labels: { app: 'none' } },
          spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
        },
      },
    },
  });
  const owner = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'owner',
    uid: deployment.metadata!.uid!,
  };
  await h.createPod('owned', { owner });
  await h.createMigration('move-owned', { podName: 'owned' });
  const m = await h.waitForMigration('move-owned', isPhase('Done', 'Failed'));
  t.is(m.status?.failureReason, 'PodHasController');
  t.regex(
    m.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /controlled by Deployment "owner"/,
  );
  const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'owned' });
  t.falsy(pod.metadata?.deletionTimestamp);
});

test.serial('a pod that does not exist fails with PodNotFound', async (t) => {
  await h.createMigration('move-ghost', { podName: 'ghost' });
  const m = await h.waitForMigration('move-ghost', isPhase('Done', 'Failed'));
  t.is(m.status?.failureReason, 'PodNotFound');
});

test.serial(
  'target unschedulable: timeout → Failed, source untouched, no restored pod left',
  async (t) => {
    t.timeout(240_000);
    const source = await h.createPod('stuck');
    await h.createMigration('move-stuck', {
      podName: 'stuck',
      restorePolicy: 'restart',
      target: { nodeSelector: { 'continuum.dev/layer': 'nowhere' } },
      timeoutSeconds: 15,
    });
    const restoring = await h.waitForMigration('move-stuck', isPhase('Restoring', 'Failed'));
    t.is(restoring.status?.phase, 'Restoring');
    const m = await h.waitForMigration('move-stuck', isPhase('Done', 'Failed'), 40_000);
    t.is(m.status?.failureReason, 'DeadlineExceeded');
    const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'stuck' });
    t.is(pod.metadata?.uid, source.metadata?.uid);
    t.falsy(pod.metadata?.deletionTimestamp);
    await waitForNoRestoredPod(m);
    t.pass();
  },
);

test.serial('two Migrations for one pod: the second fails with AlreadyMigrating', async (t) => {
  t.timeout(240_000);
  await h.createPod('twice');
  await h.createMigration('twice-a', {
    podName: 'twice',
    target: { nodeSelector: { 'continuum.dev/layer': 'nowhere' } },
    timeoutSeconds: 20,
  });
  await h.waitForMigration('twice-a', isPhase('Restoring'));
  await h.createMigration('twice-b', { podName: 'twice' });
  const b = await h.waitForMigration('twice-b', isPhase('Done', 'Failed'));
  t.is(b.status?.failureReason, 'AlreadyMigrating');
  t.regex(
    b.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '',
    /Migration "twice-a"/,
  );
  const a = await h.getMigration('twice-a');
  t.is(a?.status?.phase, 'Restoring', 'the first goes on');
});

test.serial('a Migration deleted mid-flight: the finalizer rolls back and releases', async (t) => {
  t.timeout(240_000);
  const source = await h.createPod('midway');
  await h.createMigration('move-midway', {
    podName: 'midway',
    target: { nodeSelector: { 'continuum.dev/layer': 'nowhere' } },
  });
  const m = await h.waitForMigration(
    'move-midway',
    (x) => isPhase('Restoring')(x) && !!x.status?.targetPod,
  );
  await waitFor('restored pod created', async () =>
    (await h.pods()).some((p) => p.metadata?.name === m.status?.targetPod) ? true : undefined,
  );
  await h.custom.deleteNamespacedCustomObject({
    group: 'continuum.dev',
    version: 'v1alpha1',
    plural: 'migrations',
    namespace: h.namespace,
    name: 'move-midway',
  });
  await waitFor(
    'Migration gone',
    async () => ((await h.getMigration('move-midway')) ? undefined : true),
    30_000,
  );
  await waitForNoRestoredPod(m);
  const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'midway' });
  t.is(pod.metadata?.uid, source.metadata?.uid, 'the source still runs');
});

test.serial('the pod deleted mid-migration: Failed with SourcePodGone', async (t) => {
  t.timeout(240_000);
  await h.createPod('vanish');
  await h.createMigration('move-vanish', {
    podName: 'vanish',
    restorePolicy: 'checkpoint',
    timeoutSeconds: 60,
    containers: ['worker'],
  });
  // no kubelet answers fast enough to matter: delete the pod right away
  await h.core.deleteNamespacedPod({
    namespace: h.namespace,
    name: 'vanish',
    gracePeriodSeconds: 0,
  });
  const m = await h.waitForMigration('move-vanish', isPhase('Done', 'Failed'));
  t.true(
    ['SourcePodGone', 'PodNotFound'].includes(m.status?.failureReason ?? ''),
    m.status?.failureReason,
  );
});
