/**
 * End to end through the API server's node proxy (`continuum operator --kubelet-via-proxy`):
 * the real kube-apiserver forwards the checkpoint to the simulated kubelet of the environment's
 * proxy node (a non-loopback InternalIP: kube-apiserver refuses to proxy to loopback), with its
 * kubelet client certificate; the kubelet authenticates that certificate (x509, test CA) and
 * authorises its user by SubjectAccessReview (`create nodes/checkpoint`). The operator runs
 * under the chart's RBAC. In order, since each step adds a grant to the one before:
 * 1. the chart without `kubelet.viaProxy`: the API server refuses (`nodes/proxy`) → Failed;
 * 2. the chart with it, the API server's user bound only to `system:kubelet-api-admin` (as real
 *    clusters bind it, and which lacks `nodes/checkpoint`): the kubelet refuses → Failed;
 * 3. `create nodes/checkpoint` granted to that user: Done, and the kubelet saw that user;
 * 4. the same through a real kubelet (real-edge → real-cloud), the memory carried over.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { AuthorizationV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { OPERATOR_NAMESPACE, type Migration } from '../../reconcilers/api/types.ts';
import { imageExists } from '../../reconcilers/registry/client.ts';
import { testEnv } from '../env/info.ts';
import { waitFor } from '../env/wait.ts';
import {
  counterPod,
  lastCount,
  logsOf,
  realImageSpec,
  realNodeAvailable,
  startRealOperator,
} from '../real/helpers.ts';
import {
  PULL_SECRET,
  PUSH_SECRET,
  applyChartRbac,
  harness,
  isPhase,
  type Harness,
} from './harness.ts';

const NODE_PROXY_RBAC = 'continuum-operator-node-proxy';
const CHECKPOINT_GRANT = 'continuum-test:apiserver-kubelet-checkpoint';

let h: Harness;
const rbac = () => h.kc.makeApiClient(RbacAuthorizationV1Api);

test.before(async (t) => {
  t.timeout(300_000);
  h = await harness('mig-e2e-proxy');
  h.startOperator({ args: ['--kubelet-via-proxy'], env: { CONTINUUM_CHECKPOINT_TIMEOUT: '5' } });
});

test.after.always(async () => {
  await h?.cleanup();
  const api = h && rbac();
  for (const name of [NODE_PROXY_RBAC, CHECKPOINT_GRANT]) {
    await api?.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await api?.deleteClusterRole({ name }).catch(() => undefined);
  }
});

/** A pod on the proxy node and a checkpoint Migration of it; resolves to the ended Migration. */
async function migrate(name: string): Promise<Migration> {
  await h.createPod(name, { node: testEnv().proxyNode });
  await h.createMigration(name, {
    podName: name,
    restorePolicy: 'checkpoint',
    image: {
      repository: h.repository,
      pushSecretRef: { name: PUSH_SECRET },
      pullSecretRef: { name: PULL_SECRET },
      retain: true, // read back after Done
    },
  });
  return h.waitForMigration(name, isPhase('Done', 'Failed'), 240_000);
}

/** Waits until RBAC allows `user` to create `nodes/<subresource>` (a new grant is not instant). */
function allowed(user: string, subresource: string): Promise<true> {
  const authz = h.kc.makeApiClient(AuthorizationV1Api);
  return waitFor(`${user} allowed to create nodes/${subresource}`, async () => {
    const review = await authz.createSubjectAccessReview({
      body: {
        spec: {
          user,
          resourceAttributes: { verb: 'create', resource: 'nodes', subresource },
        },
      },
    });
    return review.status?.allowed || undefined;
  });
}

const ready = (m: Migration) => m.status?.conditions?.find((c) => c.type === 'Ready');

test.serial('without nodes/proxy in its RBAC, the API server refuses the operator', async (t) => {
  t.timeout(300_000);
  const m = await migrate('no-proxy-rbac');
  t.is(m.status?.phase, 'Failed', JSON.stringify(m.status));
  t.is(m.status?.failureReason, 'CheckpointFailed');
  t.regex(
    ready(m)?.message ?? '',
    /on node "edge-proxy": the API server node proxy answered 403: .*cannot create resource "nodes\/proxy"/,
  );
  t.is(m.status?.checkpoint, undefined, 'no archive');
  const pod = await h.core.readNamespacedPod({ namespace: h.namespace, name: 'no-proxy-rbac' });
  t.falsy(pod.metadata?.deletionTimestamp, 'the source is untouched');
});

test.serial('the kubelet refuses the API server identity without nodes/checkpoint', async (t) => {
  t.timeout(300_000);
  await applyChartRbac(['kubelet.viaProxy=true']);
  await allowed(`system:serviceaccount:${OPERATOR_NAMESPACE}:continuum-operator`, 'proxy');
  const m = await migrate('apiserver-not-allowed');
  t.is(m.status?.phase, 'Failed', JSON.stringify(m.status));
  t.is(m.status?.failureReason, 'CheckpointFailed');
  t.true(
    ready(m)?.message?.includes(
      'kubelet answered 403 through the API server node proxy: Forbidden ' +
        `(user=${testEnv().kubeletClientUser}, verb=create, resource=nodes, subresource=checkpoint)`,
    ),
    ready(m)?.message,
  );
});

test.serial(
  'granted nodes/checkpoint, the checkpoint goes through the proxy and the Migration is Done',
  async (t) => {
    t.timeout(300_000);
    const env = testEnv();
    await rbac().createClusterRole({
      body: {
        metadata: { name: CHECKPOINT_GRANT },
        rules: [{ apiGroups: [''], resources: ['nodes/checkpoint'], verbs: ['create'] }],
      },
    });
    await rbac().createClusterRoleBinding({
      body: {
        metadata: { name: CHECKPOINT_GRANT },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: CHECKPOINT_GRANT,
        },
        subjects: [
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: env.kubeletClientUser },
        ],
      },
    });
    await allowed(env.kubeletClientUser, 'checkpoint');
    const m = await migrate('through-proxy');
    t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
    t.is(m.status?.sourceNode, env.proxyNode);
    const archive = m.status?.checkpoint?.archives[0]?.path;
    t.truthy(archive);
    const written = readFileSync(env.nodeSimulationLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as { msg?: string; kubelet?: string; archive?: string; user?: string },
      )
      .filter((l) => l.msg === 'checkpoint written' && l.archive === archive);
    t.deepEqual(
      written.map((l) => [l.kubelet, l.user]),
      [[env.proxyNode, env.kubeletClientUser]],
      'the kubelet saw the API server, not the operator',
    );
    const { username, password } = env.registry;
    t.true(await imageExists(m.status!.image!, { credentials: { username, password } }));
    const target = await h.core.readNamespacedPod({
      namespace: h.namespace,
      name: m.status!.targetPod!,
    });
    t.is(target.spec?.nodeName, 'cloud-1');
    t.is(target.spec?.containers[0]?.image, m.status?.image);
  },
);

test.serial(
  'the same grants on the real nodes: a real checkpoint through the proxy, the memory carried over',
  async (t) => {
    if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
    t.timeout(300_000);
    const real = await harness('real-e2e-proxy');
    t.teardown(() => real.cleanup());
    await startRealOperator(real, { args: ['--kubelet-via-proxy'] });
    await real.core.createNamespacedPod({
      namespace: real.namespace,
      body: counterPod('proxied', 'real-edge'),
    });
    const before = await waitFor('the counter at 2', async () => {
      const last = lastCount(await logsOf(real.core, real.namespace, 'proxied'));
      return last && last.count >= 2 && last;
    });
    await real.createMigration('move-proxied', {
      podName: 'proxied',
      restorePolicy: 'checkpoint',
      target: { nodeName: 'real-cloud' },
      image: realImageSpec(real),
    });
    const m = await real.waitForMigration('move-proxied', isPhase('Done', 'Failed'), 240_000);
    t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
    t.is(m.status?.restoreFallback, undefined, 'restored, not started afresh');
    const restored = await waitFor('the restored counter past the checkpoint', async () => {
      const last = lastCount(await logsOf(real.core, real.namespace, m.status!.targetPod!));
      return last && last.count > before.count + 1 && last;
    });
    t.is(restored.token, before.token, 'the memory came along');
  },
);
