/**
 * GIVEN the operator under the chart's RBAC, the real nodes, and a counter on real-edge whose
 *   token and count live only in memory
 * WHEN a checkpoint Migration moves it to real-cloud
 * THEN the real kubelet checkpoints it (CRIU), the imaging Job runs as a real container on
 *   real-edge (the product image pulled with its pull Secret) and pushes the real archive, and
 *   real-cloud — containerd 2.4, which restores no checkpoint image — restores it through
 *   continuum's RuntimeClass (restoreMode Auto: the restore installer made the wrapper ready
 *   there): the restored pod runs the workload's original image, which the kubelet pulls with the
 *   pull Secret on a node that has never seen it, its init container fetches the checkpoint, and
 *   the counter goes on with the same token and the next count; the source is gone and no
 *   archive is left on the node; the finished imaging Job stays for its TTL, the imager's log
 *   readable. A small Guaranteed pod (100m, 12Mi) restores the same way, its QoS class kept: the
 *   init container that fetches its checkpoint runs with a memory floor of its own.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { BatchV1Api } from '@kubernetes/client-node';
import { jobName } from '../../reconcilers/migration/names.ts';
import { waitFor } from '../env/wait.ts';
import { counterContinuity } from './counter-continuity.ts';
import { isPhase, type Harness } from '../migration/harness.ts';
import { realHarness } from './hooks.ts';
import {
  counterPod,
  freshBaseImage,
  lastCount,
  logsOf,
  realNode,
  realImageSpec,
  realNodeAvailable,
  restoredCounter,
} from './helpers.ts';

let h: Harness;
realHarness('real-migration', (x) => (h = x));

const archivesOnEdge = () => {
  const dir = join(realNode('real-edge').kubeletDir, 'checkpoints');
  return existsSync(dir) ? readdirSync(dir) : [];
};

test('checkpoint Migration real-edge → real-cloud: the counter goes on with its memory', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const { core, namespace } = h;
  // an image real-cloud has never pulled: the kubelet pulls it with the pull Secret
  const image = await freshBaseImage('migration-base');
  await core.createNamespacedPod({
    namespace,
    body: counterPod('counter', 'real-edge', { image }),
  });
  await waitFor(
    'the counter at 3',
    async () => (lastCount(await logsOf(core, namespace, 'counter'))?.count ?? 0) >= 3,
  );
  const before = lastCount(await logsOf(core, namespace, 'counter'))!;
  await h.createMigration('move-counter', {
    podName: 'counter',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('move-counter', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.is(m.status?.restoreFallback, undefined, 'restored, not started afresh');
  t.is(m.status?.sourceNode, 'real-edge');
  t.is(m.status?.targetNode, 'real-cloud');
  t.is(m.status?.restoreMode, 'RuntimeClass');
  const target = m.status!.targetPod!;
  const restored = await core.readNamespacedPod({ namespace, name: target });
  t.is(restored.spec?.runtimeClassName, 'continuum');
  t.like(
    restored.status?.containerStatuses?.find((c) => c.name === 'counter'),
    { image, restartCount: 0 },
    'the original image, pulled by the kubelet with the pull Secret',
  );
  t.like(
    restored.status?.initContainerStatuses?.find((c) => c.name === 'continuum-checkpoint'),
    { state: { terminated: { exitCode: 0 } } },
    'the checkpoint fetched by digest',
  );
  const lines = await restoredCounter(core, namespace, target, before);
  t.like(counterContinuity(lines, before.token), { continued: true }, 'one token, counting on');
  // the imaging Job stays for its TTL, and the imager's log with it
  const batch = h.kc.makeApiClient(BatchV1Api);
  const job = await waitFor('the imaging Job finished', async () => {
    const j = await batch.readNamespacedJob({ namespace, name: jobName(m) });
    return j.status?.succeeded === 1 && j;
  });
  t.is(job.spec?.ttlSecondsAfterFinished, 600);
  const [imagingPod] = (
    await core.listNamespacedPod({ namespace, labelSelector: `job-name=${jobName(m)}` })
  ).items;
  t.regex(
    await logsOf(core, namespace, imagingPod!.metadata!.name!, 'counter'),
    /imager: pushing .*checkpoint-counter_/,
    "the imager's log after Done",
  );
  await waitFor('the source gone', async () =>
    core.readNamespacedPod({ namespace, name: 'counter' }).then(
      () => false,
      () => true,
    ),
  );
  t.false(
    archivesOnEdge().some((f) => f.startsWith(`checkpoint-counter_${namespace}-`)),
    'no archive left on real-edge',
  );
});

test('a small Guaranteed pod (100m, 12Mi) restores through the wrapper; its QoS class stays', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const { core, namespace } = h;
  const pod = counterPod('small', 'real-edge');
  // the checkpoint fetch's Node.js crash-looped under 12Mi before the fetch had a floor of its own
  const quantity = { cpu: '100m', memory: '12Mi' };
  pod.spec!.containers[0]!.resources = { requests: quantity, limits: quantity };
  await core.createNamespacedPod({ namespace, body: pod });
  await waitFor(
    'the small counter at 3',
    async () => (lastCount(await logsOf(core, namespace, 'small'))?.count ?? 0) >= 3,
  );
  const before = lastCount(await logsOf(core, namespace, 'small'))!;
  await h.createMigration('move-small', {
    podName: 'small',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('move-small', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.is(m.status?.restoreFallback, undefined, 'restored, not started afresh');
  const restored = await core.readNamespacedPod({ namespace, name: m.status!.targetPod! });
  t.is(restored.status?.qosClass, 'Guaranteed');
  const lines = await restoredCounter(core, namespace, m.status!.targetPod!, before);
  t.like(counterContinuity(lines, before.token), { continued: true }, 'one token, counting on');
});
