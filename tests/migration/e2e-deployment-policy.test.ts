/**
 * GIVEN a Deployment of 3 on the kwok edge nodes, a MigrationPolicy covering its pods, and the
 *   operator with its trigger on the real NATS server
 * WHEN simulated agents report every pod of it above the CPU threshold, second after second
 * THEN the policy moves them one at a time (each reason names the ReplicaSet): at the end 3
 *   pods, all the ReplicaSet's, all on cloud-1; never more than 4 at once; no rollout.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { AppsV1Api, type V1Pod } from '@kubernetes/client-node';
import { connect, type NatsConnection } from 'nats';
import { metricsSubject, type MetricsMessage } from '../../reconcilers/agent/message.ts';
import { GROUP, MIGRATION_PLURAL, VERSION, type Migration } from '../../reconcilers/api/types.ts';
import { testEnv } from '../env/info.ts';
import { waitFor } from '../env/wait.ts';
import { createPolicy, deletePolicy } from '../trigger/harness.ts';
import { harness, type Harness } from './harness.ts';

const id = `busy-${randomBytes(3).toString('hex')}`;
let h: Harness;
let nc: NatsConnection;

test.before(async (t) => {
  t.timeout(180_000);
  h = await harness('mig-e2e-deployment-policy');
  nc = await connect({ servers: testEnv().natsUrl });
  h.startOperator({ env: { CONTINUUM_NATS_URL: testEnv().natsUrl } });
  await createPolicy(h.kc, id, {
    selector: { podSelector: { matchLabels: { app: id } } },
    triggers: [{ metric: 'containerCPU', above: 90, for: '2s' }],
    restorePolicy: 'restart',
    target: { nodeName: 'cloud-1' },
    maxConcurrentPerNode: 3,
  });
  await h.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: h.namespace,
    body: {
      metadata: { name: 'busy' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: id } },
        template: {
          metadata: { labels: { app: id } },
          spec: {
            nodeSelector: { 'continuum.dev/layer': 'edge' },
            containers: [{ name: 'app', image: 'busybox:1.36' }],
          },
        },
      },
    },
  });
});

test.after.always(async () => {
  await deletePolicy(h.kc, id);
  await nc?.close();
  await h?.cleanup();
});

async function migrations(): Promise<Migration[]> {
  const list = (await h.custom.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: MIGRATION_PLURAL,
    namespace: h.namespace,
  })) as { items: Migration[] };
  return list.items;
}

/** One metrics message per edge node, every pod of it on that node at 99 % CPU. */
function report(pods: V1Pod[]): void {
  const nodes = new Set(pods.map((p) => p.spec?.nodeName ?? ''));
  for (const node of [...nodes].filter((n) => n.startsWith('edge-'))) {
    const onNode = pods.filter((p) => p.spec?.nodeName === node);
    const message: MetricsMessage = {
      schemaVersion: 1,
      node,
      time: new Date().toISOString(),
      intervalMs: 1000,
      nodeMetrics: { cpuPercent: 50, memoryPercent: 10 },
      pods: onNode.map((p) => ({
        namespace: p.metadata!.namespace!,
        name: p.metadata!.name!,
        uid: p.metadata!.uid!,
        containers: [{ name: 'app', cpuPercent: 99, memoryPercent: 5, memoryBytes: 1 << 20 }],
      })),
    };
    nc.publish(metricsSubject(node), JSON.stringify(message));
  }
}

test('a policy under load moves the pods of a Deployment one at a time', async (t) => {
  t.timeout(240_000);
  let most = 0;
  const pods = await waitFor(
    'the 3 pods of busy on cloud-1',
    async () => {
      const all = (await h.pods()).filter((p) => p.metadata?.labels?.app === id);
      most = Math.max(most, all.length);
      report(all.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp));
      const settled = all.length === 3 && all.every((p) => p.spec?.nodeName === 'cloud-1');
      return settled && all;
    },
    180_000,
    async () => JSON.stringify((await migrations()).map((m) => [m.metadata.name, m.status])),
  );
  const { items: sets } = await h.kc
    .makeApiClient(AppsV1Api)
    .listNamespacedReplicaSet({ namespace: h.namespace });
  t.is(sets.length, 1, 'no rollout');
  for (const p of pods) t.is(p.metadata?.ownerReferences?.[0]?.uid, sets[0]!.metadata?.uid);
  t.true(most <= 4, `at most one extra pod (saw ${most})`);
  const done = (await migrations()).filter((m) => m.status?.phase === 'Done');
  t.is(done.length, 3, 'three moves');
  for (const m of done) t.regex(m.spec.reason ?? '', /\(a pod of ReplicaSet "busy-[a-z0-9]+"\)$/);
});
