/**
 * The EdgeNode controller, built by its operator factory, against the real API server (whose
 * controller-manager runs the DaemonSet controller and the garbage collector): an EdgeNode
 * created, changed and deleted → its agent DaemonSet created, updated and removed; the status
 * reflects nodes, agents and metrics.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1DaemonSet,
} from '@kubernetes/client-node';
import { testEnv } from '../env/info.ts';
import { installCrds } from '../api/install-crds.ts';
import { configFromEnv } from '../../reconcilers/runtime/config.ts';
import { InformerFactory } from '../../reconcilers/runtime/informers.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import { metrics } from '../../reconcilers/runtime/metrics.ts';
import { apiErrorCode, patchCustomResource } from '../../reconcilers/runtime/kube.ts';
import { edgeNodeFactory } from '../../reconcilers/edgenode/factory.ts';
import { daemonSetName } from '../../reconcilers/edgenode/daemonset.ts';
import { metricsReceipts } from '../../reconcilers/trigger/receipts.ts';
import {
  API_VERSION,
  EDGE_NODE_PLURAL,
  GROUP,
  VERSION,
  type EdgeNode,
} from '../../reconcilers/api/types.ts';
import { waitFor } from '../env/wait.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

test('EdgeNode created, changed, deleted → agent DaemonSet created, updated, removed; status follows', async (t) => {
  t.timeout(180_000);
  const env = testEnv();
  await installCrds(env.kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const id = `edge-${randomBytes(3).toString('hex')}`;
  const nodes = [`${id}-a`, `${id}-b`];
  const edgeRef = { group: GROUP, version: VERSION, plural: EDGE_NODE_PLURAL, name: id };
  const log = silentLogger();
  const informers = new InformerFactory(kc, log);
  // this operator manages the EdgeNodes of this test only (others run in the same cluster)
  const selector = { 'test.continuum.dev/edgenode': id };
  const config = {
    ...configFromEnv({}),
    namespace: id,
    natsUrl: env.natsUrl,
    edgeNodeSelector: `test.continuum.dev/edgenode=${id}`,
  };
  const runnables = await edgeNodeFactory.create({ kc, config, log, metrics, informers });
  t.teardown(async () => {
    for (const r of runnables) await r.stop(1000);
    await informers.stop();
    await custom.deleteClusterCustomObject(edgeRef).catch(() => undefined);
    for (const name of nodes) await core.deleteNode({ name }).catch(() => undefined);
    await core.deleteNamespace({ name: id }).catch(() => undefined);
  });
  await core.createNamespace({ body: { metadata: { name: id } } });
  await core.createNamespacedServiceAccount({
    namespace: id,
    body: { metadata: { name: 'continuum-agent' } },
  });
  for (const name of nodes) {
    await core.createNode({
      body: {
        metadata: {
          name,
          labels: { 'test.continuum.dev/site': id },
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
        },
      },
    });
  }
  metricsReceipts.record(nodes[0]!, Date.parse('2026-11-28T08:00:40Z'));
  informers.start();
  await informers.synced();
  for (const r of runnables) await r.start();

  // Created (and one the selector leaves to other operators).
  const edgeNode = (name: string, labels: Record<string, string>) =>
    custom.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: EDGE_NODE_PLURAL,
      body: {
        apiVersion: API_VERSION,
        kind: 'EdgeNode',
        metadata: { name, labels },
        spec: {
          nodeSelector: { 'test.continuum.dev/site': id },
          cloudSelector: { 'continuum.dev/layer': 'cloud' },
          monitoring: { interval: '2s', cpuWindow: '1s' },
        },
      },
    });
  const unselected = `${id}-unselected`;
  t.teardown(() =>
    custom.deleteClusterCustomObject({ ...edgeRef, name: unselected }).catch(() => undefined),
  );
  await edgeNode(unselected, {});
  await edgeNode(id, selector);
  const edge = (await custom.getClusterCustomObject(edgeRef)) as EdgeNode;
  const dsName = daemonSetName(id);
  const readDs = () => apps.readNamespacedDaemonSet({ name: dsName, namespace: id });
  const ds = await waitFor('the DaemonSet', readDs);
  t.deepEqual(
    (await apps.listNamespacedDaemonSet({ namespace: id })).items.map((d) => d.metadata?.name),
    [dsName],
    'no DaemonSet for the EdgeNode outside the selector',
  );
  const pod = ds.spec!.template.spec!;
  const agent = pod.containers[0]!;
  t.deepEqual(pod.nodeSelector, { 'test.continuum.dev/site': id });
  t.is(pod.serviceAccountName, 'continuum-agent');
  t.true(agent.args!.includes('--interval=2s') && agent.args!.includes('--cpu-window=1s'));
  t.true(agent.args!.includes(`--nats-url=${env.natsUrl}`));
  t.deepEqual(agent.env?.[0]?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName');
  t.deepEqual(
    pod.volumes!.map((v) => v.hostPath?.path),
    ['/sys/fs/cgroup', '/proc'],
  );
  t.true(agent.volumeMounts!.every((m) => m.readOnly === true));
  t.like(ds.metadata!.ownerReferences![0], {
    kind: 'EdgeNode',
    name: id,
    uid: edge.metadata.uid,
    controller: true,
  });

  // The agents come up on both nodes (a kubelet would report them Ready; here the test does).
  const agentPods = await waitFor('an agent pod per node', async () => {
    const list = await core.listNamespacedPod({ namespace: id });
    return list.items.length === 2 ? list.items : undefined;
  });
  for (const p of agentPods) {
    const now = new Date().toISOString();
    await core
      .patchNamespacedPodStatus(
        {
          name: p.metadata!.name!,
          namespace: id,
          body: {
            status: {
              phase: 'Running',
              conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
            },
          },
        },
        mergePatch,
      )
      .catch((err: unknown) => t.log(`pod status patch: ${apiErrorCode(err)}`));
  }
  const ready = await waitFor('EdgeNode status with 2 agents ready', async () => {
    const e = (await custom.getClusterCustomObject(edgeRef)) as EdgeNode;
    const each = e.status?.nodes?.every((n) => n.agentReady);
    return e.status?.agentsReady === 2 && each ? e : undefined;
  });
  t.is(ready.status!.matchedNodes, 2);
  t.like(
    ready.status!.conditions!.find((c) => c.type === 'Ready'),
    { status: 'True', reason: 'AgentsReady' },
  );
  t.deepEqual(ready.status!.nodes, [
    { name: nodes[0], agentReady: true, lastMetricsTime: '2026-11-28T08:00:30.000Z' },
    { name: nodes[1], agentReady: true },
  ]);
  t.is(ready.status!.lastMetricsTime, '2026-11-28T08:00:30.000Z');
  t.like(
    ready.status!.conditions!.find((c) => c.type === 'Synced'),
    { status: 'True', reason: 'DaemonSetApplied' },
  );
  t.is(ready.status!.observedGeneration, ready.metadata.generation);

  // Changed.
  await patchCustomResource(kc, edgeRef, {
    spec: { monitoring: { interval: '5s', cpuWindow: '5s' } },
  });
  const updated = await waitFor('the DaemonSet updated', async () => {
    const d: V1DaemonSet = await readDs();
    return d.spec!.template.spec!.containers[0]!.args!.includes('--interval=5s') ? d : undefined;
  });
  t.true(updated.spec!.template.spec!.containers[0]!.args!.includes('--cpu-window=5s'));

  // Deleted: the garbage collector removes the DaemonSet.
  await custom.deleteClusterCustomObject(edgeRef);
  await waitFor('the DaemonSet removed', async () => {
    try {
      await readDs();
      return undefined;
    } catch (err) {
      return apiErrorCode(err) === 404 ? true : undefined;
    }
  });
  t.pass();
});
