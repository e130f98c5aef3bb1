/**
 * More Migrations on the real nodes, under the chart's RBAC:
 *  - restart: the pod starts afresh on real-cloud from its original image (a new token, count 1);
 *  - two containers: each is checkpointed, imaged and restored on its own, and each goes on;
 *  - the kubelet refusing: an operator identity without `create nodes/checkpoint` gets 403 from
 *    the real kubelet's authorization webhook: CheckpointFailed, the source untouched;
 *  - CRIU refusing to dump (an established TCP connection): CheckpointFailed;
 *  - an imaging pod that cannot pull the product image: shown at once, then ImagingFailed.
 */
import test from 'ava';
import { RbacAuthorizationV1Api, type V1ClusterRole } from '@kubernetes/client-node';
import { testEnv } from '../env/info.ts';
import { serviceAccountKubeconfig } from '../env/service-account.ts';
import { waitFor } from '../env/wait.ts';
import { counterContinuity } from './counter-continuity.ts';
import { harness, isPhase, type Harness } from '../migration/harness.ts';
import { realHarness } from './hooks.ts';
import {
  countedPast,
  counterPod,
  counts,
  createPullSecret,
  lastCount,
  logsOf,
  realImageSpec,
  realNodeAvailable,
  startRealOperator,
} from './helpers.ts';
import { OPERATOR_NAMESPACE } from '../../reconcilers/api/types.ts';

let h: Harness;
realHarness('real-more', (x) => (h = x));

/** Waits until every named container of the pod has printed at least `n` lines. */
async function counting(pod: string, containers: string[], n = 2) {
  return waitFor(`${pod} counting`, async () => {
    const last = await Promise.all(
      containers.map(async (c) => lastCount(await logsOf(h.core, h.namespace, pod, c))),
    );
    return (
      last.every((l) => (l?.count ?? 0) >= n) && (last as Array<{ token: string; count: number }>)
    );
  });
}

test('restart: the pod starts afresh on real-cloud from its original image', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(240_000);
  await h.core.createNamespacedPod({
    namespace: h.namespace,
    body: counterPod('fresh', 'real-edge'),
  });
  const [before] = await counting('fresh', ['counter']);
  await h.createMigration('move-fresh', {
    podName: 'fresh',
    restorePolicy: 'restart',
    target: { nodeName: 'real-cloud' },
  });
  const m = await h.waitForMigration('move-fresh', isPhase('Done', 'Failed'), 180_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.is(m.status?.targetNode, 'real-cloud');
  const [after] = await counting(m.status!.targetPod!, ['counter'], 1);
  const first = counts(await logsOf(h.core, h.namespace, m.status!.targetPod!))[0]!;
  t.is(first.count, 1, 'a fresh start');
  t.not(after!.token, before!.token);
});

test('two containers: each is restored from its own checkpoint and goes on', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const pod = counterPod('pair', 'real-edge', { container: 'left' });
  pod.spec!.containers.push({ ...pod.spec!.containers[0]!, name: 'right' });
  await h.core.createNamespacedPod({ namespace: h.namespace, body: pod });
  const before = await counting('pair', ['left', 'right']);
  t.not(before[0]!.token, before[1]!.token, 'two processes, two tokens');
  await h.createMigration('move-pair', {
    podName: 'pair',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('move-pair', isPhase('Done', 'Failed'), 240_000);
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  t.deepEqual(m.status?.checkpoint?.archives.map((a) => a.container).sort(), ['left', 'right']);
  t.is(m.status?.restoreFallback, undefined, 'restored, not started afresh');
  for (const [i, container] of ['left', 'right'].entries()) {
    const lines = await waitFor(`${container} past the checkpoint`, async () => {
      const all = counts(await logsOf(h.core, h.namespace, m.status!.targetPod!, container));
      return (all.at(-1)?.count ?? 0) > before[i]!.count + 1 && all;
    });
    t.like(
      counterContinuity(lines, before[i]!.token),
      { continued: true },
      `${container} keeps its token and counts on`,
    );
  }
});

test('the kubelet refusing (no create nodes/checkpoint): CheckpointFailed, the source untouched', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(240_000);
  // the operator's ClusterRole but for nodes/checkpoint, bound to an identity of its own
  const rbac = h.kc.makeApiClient(RbacAuthorizationV1Api);
  const role = await rbac.readClusterRole({ name: 'continuum-operator' });
  const name = 'continuum-test-no-checkpoint';
  const rules = (role.rules ?? []).map((r) => ({
    ...r,
    resources: r.resources?.filter((x) => x !== 'nodes/checkpoint'),
  }));
  const limited: V1ClusterRole = {
    metadata: { name },
    rules: rules.filter((r) => r.resources?.length !== 0),
  };
  await rbac.createClusterRole({ body: limited });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: OPERATOR_NAMESPACE }],
    },
  });
  t.teardown(async () => {
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name }).catch(() => undefined);
  });
  const other = await harness('real-refused');
  t.teardown(() => other.cleanup());
  await startRealOperator(other, {
    args: ['--kubeconfig', await serviceAccountKubeconfig(OPERATOR_NAMESPACE, name)],
  });
  await other.core.createNamespacedPod({
    namespace: other.namespace,
    body: counterPod('refused', 'real-edge'),
  });
  const source = await waitFor('refused counting', async () => {
    const pod = await other.core.readNamespacedPod({ namespace: other.namespace, name: 'refused' });
    return pod.status?.phase === 'Running' && pod;
  });
  await other.createMigration('move-refused', {
    podName: 'refused',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(other),
  });
  const m = await other.waitForMigration('move-refused', isPhase('Done', 'Failed'), 180_000);
  t.is(m.status?.failureReason, 'CheckpointFailed', JSON.stringify(m.status));
  t.regex(m.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /403/);
  const pod = await other.core.readNamespacedPod({ namespace: other.namespace, name: 'refused' });
  t.is(pod.metadata?.uid, source.metadata?.uid);
  t.falsy(pod.metadata?.deletionTimestamp);
});

test('CRIU refusing (an established TCP connection): CheckpointFailed with its reason, the source untouched', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(240_000);
  // CRIU dumps an established TCP connection only when told to (--tcp-established): containerd does not
  const [host, port] = testEnv().tlsRegistry.host.split(':');
  const pod = counterPod('connected', 'real-edge');
  const [sh, c, counter] = pod.spec!.containers[0]!.command!;
  pod.spec!.containers[0]!.command = [sh!, c!, `sleep 100000 | nc ${host} ${port} & ${counter}`];
  await h.core.createNamespacedPod({ namespace: h.namespace, body: pod });
  const [before] = await counting('connected', ['counter']);
  await h.createMigration('move-connected', {
    podName: 'connected',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(h),
  });
  const m = await h.waitForMigration('move-connected', isPhase('Done', 'Failed'), 180_000);
  t.is(m.status?.failureReason, 'CheckpointFailed', JSON.stringify(m.status));
  // containerd reports CRIU's failure and the path of its log on the node, not the log's line
  t.regex(m.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '', /criu failed/);
  const after = await countedPast(h.core, h.namespace, 'connected', before!.count + 1);
  t.is(after.token, before!.token, 'the same process ran on');
});

test('the product image not pullable: the kubelet’s reason in Synced and an Event at once, then ImagingFailed', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(240_000);
  const other = await harness('real-no-product-pull');
  t.teardown(() => other.cleanup());
  await createPullSecret(other.core, other.namespace);
  // the imaging Job's pods get no Secret for a private product image real-edge has not got (the
  // registry asks for credentials before it says whether it has the image)
  other.startOperator({
    args: ['--registry-ca', testEnv().caFile],
    env: {
      CONTINUUM_IMAGE: `${testEnv().tlsRegistry.host}/continuum/never-pulled:test`,
      CONTINUUM_PULL_GRACE: '15',
    },
  });
  await other.core.createNamespacedPod({
    namespace: other.namespace,
    body: counterPod('unimaged', 'real-edge'),
  });
  const source = await waitFor('unimaged running', async () => {
    const pod = await other.core.readNamespacedPod({
      namespace: other.namespace,
      name: 'unimaged',
    });
    return pod.status?.phase === 'Running' && pod;
  });
  await other.createMigration('move-unimaged', {
    podName: 'unimaged',
    restorePolicy: 'checkpoint',
    target: { nodeName: 'real-cloud' },
    image: realImageSpec(other),
  });
  const stuck = await other.waitForMigration('move-unimaged', (m) =>
    Boolean(m.status?.conditions?.some((c) => c.type === 'Synced' && c.status === 'False')),
  );
  t.regex(
    stuck.status!.conditions!.find((c) => c.type === 'Synced')!.message,
    /imaging pod ".*": container ".*": (ErrImagePull|ImagePullBackOff)/,
  );
  // the Event is written right after the status (a CI run read the list in between)
  const event = await waitFor(
    'the ImagingPodNotRunning Event',
    async () =>
      (
        await other.core.listNamespacedEvent({
          namespace: other.namespace,
          fieldSelector: 'involvedObject.name=move-unimaged,reason=ImagingPodNotRunning',
        })
      ).items[0],
    10_000,
  );
  t.is(event.type, 'Warning');
  const m = await other.waitForMigration('move-unimaged', isPhase('Done', 'Failed'), 120_000);
  t.is(m.status?.failureReason, 'ImagingFailed', JSON.stringify(m.status));
  const pod = await other.core.readNamespacedPod({ namespace: other.namespace, name: 'unimaged' });
  t.is(pod.metadata?.uid, source.metadata?.uid);
  t.falsy(pod.metadata?.deletionTimestamp);
});
