/**
 * GIVEN the chart installed by helm (release `real-helm` in a namespace of its own, the product
 *   image built from this checkout, pulled with a pull Secret; watching one namespace and the
 *   EdgeNodes labelled for it, so that it shares the test cluster with the other tests)
 * WHEN it comes up on the real nodes
 * THEN the operator runs as a real pod on real-cloud — in-cluster configuration through the
 *   `kubernetes` Service, its projected token, probes passing, the leader Lease held by the pod —,
 *   the agent DaemonSet of an EdgeNode runs on real-edge and its metrics reach the operator
 *   through NATS (the EdgeNode's status, which also counts real-cloud's restore wrapper), a checkpoint Migration real-edge → real-cloud made
 *   with the chart's registry defaults ends Done with the counter's memory carried over, and —
 *   the EdgeNode's evictionPolicy Migrate — `kubectl drain real-edge` moves a counter through the
 *   chart's eviction webhook instead of killing it, its memory carried over; and a StatefulSet's
 *   counter moves keeping its name through the chart's restore webhook, its memory carried over.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import {
  AppsV1Api,
  CoordinationV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { evictionMigrationName } from '../../reconcilers/webhook/eviction.ts';
import { kubectl } from '../api/kubectl.ts';
import { installCrds } from '../api/install-crds.ts';
import { testEnv } from '../env/info.ts';
import { adminKubeConfig } from '../env/service-account.ts';
import { waitFor } from '../env/wait.ts';
import {
  API_VERSION,
  EDGE_NODE_PLURAL,
  GROUP,
  MIGRATION_PLURAL,
  VERSION,
  type EdgeNode,
  type Migration,
} from '../../reconcilers/api/types.ts';
import { counterContinuity } from './counter-continuity.ts';
import { realNamespace } from './hooks.ts';
import {
  REAL_NODE_TOLERATION,
  REAL_PULL_SECRET,
  counterPod,
  createPullSecret,
  lastCount,
  logsOf,
  realNodeAvailable,
  restoreWrapperReady,
  restoredCounter,
} from './helpers.ts';

const CHART = fileURLToPath(new URL('../../charts/continuum', import.meta.url));
const RELEASE = 'real-helm';
const SYSTEM = `${RELEASE}-system`;
const WORK = `${RELEASE}-work`;
const INSTALL_LABEL = 'test.continuum.dev/install';
const EDGE_NODE = `${RELEASE}-edge`;

const kc = adminKubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const core = realNamespace(WORK);

function helm(args: string[]): Promise<string> {
  const env = testEnv();
  return promisify(execFile)(join(env.binDir, 'helm'), [...args, '--kubeconfig', env.kubeconfig])
    .then((out) => out.stdout)
    .catch((err: Error & { stderr?: string }) => {
      throw new Error(`helm ${args[0]}: ${err.stderr?.trim() || err.message}`);
    });
}

/** The operator pods' phase, waiting reasons and last log lines, for a failure message. */
async function operatorState(): Promise<string> {
  const pods = await core.listNamespacedPod({ namespace: SYSTEM });
  const lines = await Promise.all(
    pods.items.map(async (p: V1Pod) => {
      const waiting = p.status?.containerStatuses?.map((s) => s.state?.waiting?.message ?? '');
      const logs = await logsOf(core, SYSTEM, p.metadata!.name!).catch(() => '');
      return `${p.metadata?.name} on ${p.spec?.nodeName}: ${p.status?.phase} ${waiting} ${logs.slice(-1500)}`;
    }),
  );
  return lines.join('\n') || 'no pods';
}

const MIGRATIONS = { group: GROUP, version: VERSION, namespace: WORK, plural: MIGRATION_PLURAL };

/** A checkpoint Migration of `pod` to real-cloud, once it is Done or Failed. */
async function migrate(name: string, pod: string): Promise<Migration> {
  await custom.createNamespacedCustomObject({
    ...MIGRATIONS,
    body: {
      apiVersion: API_VERSION,
      kind: 'Migration',
      metadata: { name },
      spec: { podName: pod, restorePolicy: 'checkpoint', target: { nodeName: 'real-cloud' } },
    },
  });
  return waitFor(
    'the Migration Done or Failed',
    async () => {
      const m = (await custom.getNamespacedCustomObject({ ...MIGRATIONS, name })) as Migration;
      return ['Done', 'Failed'].includes(m.status?.phase ?? '') ? m : undefined;
    },
    240_000,
    operatorState,
  );
}

test.before(async (t) => {
  if (!realNodeAvailable()) return;
  t.timeout(180_000);
  const env = testEnv();
  await installCrds(env.kubeconfig);
  await core.createNamespace({ body: { metadata: { name: SYSTEM } } });
  await createPullSecret(core, SYSTEM);
  await core.createNamespacedConfigMap({
    namespace: SYSTEM,
    body: {
      metadata: { name: 'registry-ca' },
      data: { 'ca.crt': readFileSync(env.caFile, 'utf8') },
    },
  });
  const image = env.images.continuum;
  const colon = image.lastIndexOf(':');
  await helm([
    ...['install', RELEASE, CHART, '--namespace', SYSTEM],
    ...['--set', `namespace=${SYSTEM}`, '--set', 'createNamespace=false', '--set', 'replicas=1'],
    ...['--set', `image.repository=${image.slice(0, colon)}`],
    ...['--set', `image.tag=${image.slice(colon + 1)}`],
    ...['--set', `image.pullSecret=${REAL_PULL_SECRET}`],
    ...['--set', `watchNamespace=${WORK}`],
    ...['--set', `edgeNodeSelector=${INSTALL_LABEL}=${RELEASE}`],
    ...['--set', `natsUrl=${env.natsUrl}`],
    ...['--set', `registry.repository=${env.tlsRegistry.host}/continuum/${RELEASE}`],
    ...['--set', `registry.pushSecret=${REAL_PULL_SECRET}`],
    ...['--set', `registry.pullSecret=${REAL_PULL_SECRET}`],
    ...['--set', 'registry.caConfigMap=registry-ca'],
    ...['--set-json', `tolerations=${JSON.stringify([REAL_NODE_TOLERATION])}`],
    ...['--set-json', 'nodeSelector={"kubernetes.io/hostname":"real-cloud"}'],
    // the chart's own RuntimeClass for the nodes' continuum handler, and its restore installer
    ...['--set', `restore.runtimeClass.name=${RELEASE}-restore`],
    ...['--set', `restore.nodeSelector=${REAL_NODE_TOLERATION.key}=true`],
  ]);
});

test.after.always(async () => {
  if (!realNodeAvailable()) return;
  await helm(['uninstall', RELEASE, '--namespace', SYSTEM, '--wait']).catch(() => undefined);
  await custom
    .deleteClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: EDGE_NODE_PLURAL,
      name: EDGE_NODE,
    })
    .catch(() => undefined);
  await core.deleteNamespace({ name: SYSTEM }).catch(() => undefined);
});

test.serial(
  'the operator runs as a real pod: in-cluster config, probes, the leader Lease',
  async (t) => {
    if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
    t.timeout(180_000);
    await waitFor(
      'the operator Deployment available',
      async () =>
        (await apps.readNamespacedDeployment({ namespace: SYSTEM, name: 'continuum-operator' }))
          .status?.readyReplicas === 1,
      150_000,
      operatorState,
    );
    const [pod] = (
      await core.listNamespacedPod({
        namespace: SYSTEM,
        labelSelector: 'app.kubernetes.io/component=operator',
      })
    ).items;
    t.is(pod?.spec?.nodeName, 'real-cloud');
    t.true(pod?.status?.containerStatuses?.[0]?.ready, 'readiness probe passes');
    t.true(
      pod?.spec?.volumes?.some((v) => v.projected?.sources?.some((s) => s.serviceAccountToken)),
      'the projected ServiceAccount token',
    );
    const lease = await waitFor('the leader Lease held', async () => {
      const l = await kc
        .makeApiClient(CoordinationV1Api)
        .readNamespacedLease({ namespace: SYSTEM, name: 'continuum-operator' })
        .catch(() => undefined);
      return l?.spec?.holderIdentity ? l : undefined;
    });
    t.is(lease.spec?.holderIdentity, pod?.metadata?.name, 'the pod leads');
    // the restore installer the operator runs puts the wrapper on every real node
    await restoreWrapperReady(SYSTEM);
  },
);

test.serial('the agent DaemonSet runs on real-edge; its metrics reach the operator', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(180_000);
  await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: EDGE_NODE_PLURAL,
    body: {
      apiVersion: API_VERSION,
      kind: 'EdgeNode',
      metadata: { name: EDGE_NODE, labels: { [INSTALL_LABEL]: RELEASE } },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': 'real-edge' },
        cloudSelector: { 'kubernetes.io/hostname': 'real-cloud' },
        monitoring: { interval: '1s', cpuWindow: '1s' },
      },
    },
  });
  const edge = await waitFor(
    'the agent Ready on real-edge and its metrics received',
    async () => {
      const e = (await custom.getClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: EDGE_NODE_PLURAL,
        name: EDGE_NODE,
      })) as EdgeNode;
      const node = e.status?.nodes?.find((n) => n.name === 'real-edge');
      return node?.agentReady && node.lastMetricsTime ? e : undefined;
    },
    150_000,
    async () => {
      const pods = await core.listNamespacedPod({
        namespace: SYSTEM,
        labelSelector: 'app.kubernetes.io/name=continuum-agent',
      });
      return JSON.stringify(pods.items.map((p) => [p.spec?.nodeName, p.status]));
    },
  );
  t.is(edge.status?.agentsReady, 1);
  t.deepEqual(
    edge.status?.nodes?.map((n) => n.name),
    ['real-edge'],
  );
  t.like(edge.status, { cloudNodes: 1, restoreWrappersReady: 1 }, 'the wrapper on real-cloud');
});

test.serial(
  'a checkpoint Migration through the installed operator: the memory carried over',
  async (t) => {
    if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
    t.timeout(300_000);
    await core.createNamespacedPod({ namespace: WORK, body: counterPod('counter', 'real-edge') });
    await waitFor(
      'the counter at 3',
      async () => (lastCount(await logsOf(core, WORK, 'counter'))?.count ?? 0) >= 3,
    );
    const before = lastCount(await logsOf(core, WORK, 'counter'))!;
    const m = await migrate('move-counter', 'counter');
    t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
    t.true(m.status?.image?.startsWith(`${testEnv().tlsRegistry.host}/continuum/${RELEASE}`));
    const target = m.status!.targetPod!;
    const lines = await restoredCounter(core, WORK, target, before);
    t.like(counterContinuity(lines, before.token), { continued: true }, 'one token, counting on');
  },
);

test.serial(
  'kubectl drain real-edge moves the pod through the webhook: its memory carried over',
  async (t) => {
    if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
    t.timeout(300_000);
    await custom.patchClusterCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: EDGE_NODE_PLURAL,
        name: EDGE_NODE,
        body: { spec: { evictionPolicy: 'Migrate' } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const pod = await core.createNamespacedPod({
      namespace: WORK,
      body: counterPod('drain-counter', 'real-edge'),
    });
    await waitFor(
      'the counter at 3',
      async () => (lastCount(await logsOf(core, WORK, 'drain-counter'))?.count ?? 0) >= 3,
    );
    const before = lastCount(await logsOf(core, WORK, 'drain-counter'))!;
    const drained = await kubectl([
      ...['drain', 'real-edge', '--pod-selector', 'app=drain-counter', '--force'],
      ...['--ignore-daemonsets', '--timeout=240s'],
    ]).finally(() => kubectl(['uncordon', 'real-edge']));
    t.is(drained.code, 0, drained.stderr + (await operatorState()));
    t.regex(drained.stderr, /instead of being evicted/, 'the eviction was answered 429');
    const m = (await custom.getNamespacedCustomObject({
      ...MIGRATIONS,
      name: evictionMigrationName('drain-counter', pod.metadata!.uid!),
    })) as Migration;
    t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
    const target = m.status!.targetPod!;
    t.is(
      (await core.readNamespacedPod({ namespace: WORK, name: target })).spec?.nodeName,
      'real-cloud',
    );
    const lines = await restoredCounter(core, WORK, target, before);
    t.like(counterContinuity(lines, before.token), { continued: true }, 'one token, counting on');
  },
);

test.serial('a StatefulSet pod moves keeping its name through the restore webhook', async (t) => {
  if (!realNodeAvailable()) return t.pass('real nodes skipped (CONTINUUM_REAL_NODES=0)');
  t.timeout(300_000);
  const { spec } = counterPod('ss', 'real-edge');
  await apps.createNamespacedStatefulSet({
    namespace: WORK,
    body: {
      metadata: { name: 'ss' },
      spec: {
        replicas: 1,
        serviceName: 'ss',
        selector: { matchLabels: { app: 'ss' } },
        template: { metadata: { labels: { app: 'ss' } }, spec },
      },
    },
  });
  const source = await waitFor('the counter of ss-0 at 3', async () => {
    const logs = await logsOf(core, WORK, 'ss-0').catch(() => '');
    return (
      (lastCount(logs)?.count ?? 0) >= 3 &&
      core.readNamespacedPod({ namespace: WORK, name: 'ss-0' })
    );
  });
  const before = lastCount(await logsOf(core, WORK, 'ss-0'))!;
  const m = await migrate('move-ss-0', 'ss-0');
  t.is(m.status?.phase, 'Done', JSON.stringify(m.status));
  const restored = await core.readNamespacedPod({ namespace: WORK, name: 'ss-0' });
  t.not(restored.metadata?.uid, source.metadata?.uid);
  t.is(restored.spec?.nodeName, 'real-cloud');
  t.is(restored.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
  const lines = await restoredCounter(core, WORK, 'ss-0', before);
  t.like(counterContinuity(lines, before.token), { continued: true }, 'one token, counting on');
  const set = await apps.readNamespacedStatefulSet({ namespace: WORK, name: 'ss' });
  t.is(set.status?.readyReplicas, 1);
});
