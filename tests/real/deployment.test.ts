/**
 * GIVEN a Deployment of one counter on real-edge (its token and count only in memory), the real
 *   ReplicaSet controller
 * WHEN a checkpoint Migration moves its pod to real-cloud
 * THEN the ReplicaSet owns the restored pod, which goes on with the same token and the next
 *   count; the source is gone, the Deployment is 1/1 available and never rolled out.
 */
import test from 'ava';
import { AppsV1Api } from '@kubernetes/client-node';
import { waitFor } from '../env/wait.ts';
import { isPhase, type Harness } from '../migration/harness.ts';
import { counterContinuity } from './counter-continuity.ts';
import { realHarness } from './hooks.ts';
import {
  counterPod,
  lastCount,
  logsOf,
  realImageSpec,
  realNodeAvailable,
  restoredCounter,
} from './helpers.ts';

let h: Harness;
realHarness('real-deployment', (x) => (h = x));

test('a Deployment pod moves real-edge → real-cloud; its ReplicaSet owns the restored pod', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const { core, namespace } = h;
  const apps = h.kc.makeApiClient(AppsV1Api);
  // pinned by nodeName, past the scheduler: another test may drain (cordon) real-edge meanwhile
  const { spec } = counterPod('counter', 'real-edge');
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'counter' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'counter' } },
        template: { metadata: { labels: { app: 'counter' } }, spec },
      },
    },
  });
  const source = await waitFor('the counter at 3', async () => {
    const [pod] = (await core.listNamespacedPod({ namespace })).items;
    const last =
      pod && lastCount(await logsOf(core, namespace, pod.metadata!.name!).catch(() => ''));
    return (last?.count ?? 0) >= 3 && pod;
  });
  const name = source.metadata!.name!;
  const before = lastCount(await logsOf(core, namespace, name))!;
  await h.createMigration('move-counter', {
    podName: name,
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('move-counter', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  const target = m.status!.targetPod!;
  const restored = await core.readNamespacedPod({ namespace, name: target });
  const [replicaSet] = (await apps.listNamespacedReplicaSet({ namespace })).items;
  t.is(restored.spec?.nodeName, 'real-cloud');
  t.is(restored.metadata?.ownerReferences?.[0]?.uid, replicaSet?.metadata?.uid, 'adopted');
  const lines = await restoredCounter(core, namespace, target, before);
  t.like(counterContinuity(lines, before.token), { continued: true }, 'one token, counting on');
  await waitFor('the source gone', async () =>
    core.readNamespacedPod({ namespace, name }).then(
      () => false,
      () => true,
    ),
  );
  const deployment = await apps.readNamespacedDeployment({ namespace, name: 'counter' });
  t.like(deployment, { metadata: { generation: 1 }, status: { availableReplicas: 1 } });
  t.is((await apps.listNamespacedReplicaSet({ namespace })).items.length, 1, 'no rollout');
  t.deepEqual(
    (await core.listNamespacedPod({ namespace })).items
      .filter((p) => !p.metadata?.labels?.['job-name'])
      .map((p) => p.metadata?.name),
    [target],
    'one pod: the restored one',
  );
});
