/**
 * GIVEN a Deployment of 3 on the kwok edge nodes, a MigrationPolicy covering its pods, and the
 *   operator with its trigger on the real NATS server
 * WHEN simulated agents report every pod of it above the CPU threshold, second after second
 * THEN the policy moves them one at a time (each reason names the ReplicaSet): at the end 3
 *   pods, all the ReplicaSet's, all on cloud-1; never more than 4 at once; no rollout.
 * AND with maxUnavailablePerOwner 2 (and a target no node matches, so that no move finishes)
 *   exactly two of a second Deployment's pods are under way, the third untouched, for as long
 *   as the load lasts: 3 + 2 pods, no Migration refused.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { AppsV1Api, type V1Pod } from '@kubernetes/client-node';
import { connect, type NatsConnection } from 'nats';
import { metricsSubject, type MetricsMessage } from '../../reconcilers/agent/message.ts';
import { GROUP, MIGRATION_PLURAL, VERSION, type Migration } from '../../reconcilers/api/types.ts';
import { testEnv } from '../env/info.ts';
import { sleep, waitFor } from '../env/wait.ts';
import { createPolicy, deletePolicy } from '../trigger/harness.ts';
import { harness, type Harness } from './harness.ts';

const id = `busy-${randomBytes(3).toString('hex')}`;
const wide = `wide-${randomBytes(3).toString('hex')}`;
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
  await createDeployment('busy', id);
});

test.after.always(async () => {
  await deletePolicy(h.kc, id);
  await deletePolicy(h.kc, wide);
  await nc?.close();
  await h?.cleanup();
});

async function createDeployment(name: string, app: string): Promise<void> {
  await h.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: h.namespace,
    body: {
      metadata: { name },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app } },
        template: {
          metadata: { labels: { app } },
          spec: {
            nodeSelector: { 'continuum.dev/layer': 'edge' },
            containers: [{ name: 'app', image: 'busybox:1.36' }],
          },
        },
      },
    },
  });
}

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

test.serial('a policy under load moves the pods of a Deployment one at a time', async (t) => {
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

test.serial(
  'maxUnavailablePerOwner 2: two pods of a Deployment under way at once, never three',
  async (t) => {
    t.timeout(120_000);
    await createPolicy(h.kc, wide, {
      selector: { podSelector: { matchLabels: { app: wide } } },
      triggers: [{ metric: 'containerCPU', above: 90, for: '1s' }],
      restorePolicy: 'restart',
      // no node has it: the restored pods stay Pending, so no Migration finishes
      target: { nodeSelector: { 'continuum.dev/test': 'nowhere' } },
      maxConcurrentPerNode: 3,
      maxUnavailablePerOwner: 2,
    });
    await createDeployment('wide', wide);
    const ofWide = async () => (await h.pods()).filter((p) => p.metadata?.labels?.app === wide);
    const sources = await waitFor('the 3 pods of wide Running', async () => {
      const all = await ofWide();
      return all.length === 3 && all.every((p) => p.status?.phase === 'Running') && all;
    });
    const moving = async () =>
      (await migrations()).filter((m) => sources.some((p) => p.metadata?.name === m.spec.podName));
    await waitFor('two Migrations of wide', async () => {
      report(sources);
      return (await moving()).length >= 2;
    });
    // the load goes on: the third pod stays where it is
    for (let i = 0; i < 6; i++) {
      report(sources);
      await sleep(1000);
    }
    const ms = await moving();
    t.is(ms.length, 2, ms.map((m) => m.metadata.name).join(', '));
    for (const m of ms) {
      t.is(m.spec.maxUnavailablePerOwner, 2);
      t.is(m.status?.phase, 'Restoring', `${m.metadata.name}: ${JSON.stringify(m.status)}`);
    }
    const pods = await ofWide();
    t.is(pods.length, 5, 'the 3 sources and 2 restored pods');
    const moved = new Set(ms.map((m) => m.spec.podName));
    const still = sources.filter((p) => !moved.has(p.metadata!.name!));
    t.is(still.length, 1);
    t.true(pods.some((p) => p.metadata?.uid === still[0]!.metadata?.uid));
  },
);
