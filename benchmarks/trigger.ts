/**
 * Trigger benchmark (npm run bench:trigger). Prints:
 *
 * 1. Ingest throughput of the trigger's core on one core: messages of 1000 pods each from 100
 *    nodes (JSON parsing, validation, known-pod checks, windows, policy choice, decisions), with
 *    in-memory caches in place of the informers. Goal: 1000 pods/s per node for 100 nodes,
 *    i.e. 100 messages/s = 100 000 pod samples/s.
 * 2. Only inside a test environment (CONTINUUM_TEST_ENV set, e.g.
 *    `npx tsx tests/env/run.ts -- npx tsx benchmarks/trigger.ts`): the latency from publishing the
 *    message that completes a trigger's `for` window on the real NATS server to the Migration
 *    existing on the real API server (seen through a watch), p50 and p99 over 100 pods.
 *    Goal: p99 < 250 ms.
 */
import { randomUUID } from 'node:crypto';
import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { MetricsIngest } from '../reconcilers/trigger/ingest.ts';
import { MapCache } from '../tests/trigger/map-cache.ts';
import { MigrationIndex } from '../reconcilers/trigger/migration-index.ts';
import { MetricsReceipts } from '../reconcilers/trigger/receipts.ts';
import { silentLogger } from '../reconcilers/runtime/log.ts';
import { metricsSubject, type MetricsMessage } from '../reconcilers/agent/message.ts';
import {
  API_VERSION,
  GROUP,
  LAYER_LABEL,
  MIGRATION_PLURAL,
  MIGRATION_POLICY_PLURAL,
  VERSION,
  type Migration,
  type MigrationPolicy,
} from '../reconcilers/api/types.ts';
import { createNamespace } from '../tests/env/service-account.ts';
import { sleep } from '../tests/env/wait.ts';
import { BreachLatencies, percentile } from './breach-latency.ts';

const policy = (name: string, spec: Partial<MigrationPolicy['spec']> = {}): MigrationPolicy => ({
  apiVersion: API_VERSION,
  kind: 'MigrationPolicy',
  metadata: { name },
  spec: {
    selector: {},
    triggers: [
      { metric: 'containerCPU', above: 90, for: '30s' },
      { metric: 'nodeMemory', above: 95, for: '30s' },
    ],
    restorePolicy: 'restart',
    cooldown: '5m',
    maxConcurrentPerNode: 1,
    maxUnavailablePerOwner: 1,
    ...spec,
  },
});

function podMessage(node: string, t: number, pods: { name: string; uid: string }[], seed: number) {
  const m: MetricsMessage = {
    schemaVersion: 1,
    node,
    time: new Date(t).toISOString(),
    intervalMs: 1000,
    nodeMetrics: { cpuPercent: 55.5, memoryPercent: 61.25 },
    pods: pods.map((p, i) => ({
      namespace: 'bench',
      name: p.name,
      uid: p.uid,
      containers: [
        {
          name: 'app',
          cpuPercent: ((i * 7919 + seed * 104729) % 8000) / 100,
          memoryPercent: ((i * 31 + seed) % 7000) / 100,
          memoryBytes: 50_000_000 + i,
        },
      ],
    })),
  };
  return new TextEncoder().encode(JSON.stringify(m));
}

async function ingestThroughput(): Promise<void> {
  const NODES = 100;
  const PODS = 1000;
  const STEPS = 8;
  const nodes: V1Node[] = [];
  const pods: V1Pod[] = [];
  const perNode = new Map<string, { name: string; uid: string }[]>();
  for (let n = 0; n < NODES; n++) {
    const node = `bench-${n}`;
    nodes.push({ metadata: { name: node, labels: { [LAYER_LABEL]: 'edge' } } });
    const list = Array.from({ length: PODS }, (_, j) => ({
      name: `p-${n}-${j}`,
      uid: randomUUID(),
    }));
    perNode.set(node, list);
    for (const p of list) {
      pods.push({
        metadata: {
          name: p.name,
          namespace: 'bench',
          uid: p.uid,
          resourceVersion: '1',
          labels: { app: 'x' },
        },
        spec: { nodeName: node, containers: [] },
      });
    }
  }
  const namespaces: V1Namespace[] = [{ metadata: { name: 'bench', labels: { team: 'a' } } }];
  const policies = [
    policy('default'),
    policy('team-a', { selector: { namespaceSelector: { matchLabels: { team: 'a' } } } }),
  ];
  const ingest = new MetricsIngest({
    pods: new MapCache(pods),
    nodes: new MapCache(nodes),
    namespaces: new MapCache(namespaces),
    policies: new MapCache(policies),
    migrations: new MigrationIndex(() => []),
    creator: { create: async () => 'created' },
    receipts: new MetricsReceipts(),
    log: silentLogger(),
  });
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const messages: { subject: string; data: Uint8Array }[] = [];
  for (let s = 0; s < STEPS; s++) {
    for (const [node, list] of perNode) {
      messages.push({
        subject: metricsSubject(node),
        data: podMessage(node, t0 + s * 1000, list, s),
      });
    }
  }
  const bytes = messages.reduce((a, m) => a + m.data.length, 0) / messages.length;
  // Warm-up: the first step fills the caches and windows (and the JIT).
  for (const m of messages.slice(0, NODES)) await ingest.ingest(m.subject, m.data);
  const measured = messages.slice(NODES);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (const m of measured) await ingest.ingest(m.subject, m.data);
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const perSecond = measured.length / wall;
  const perCpuSecond = measured.length / cpuSeconds;
  console.log(`trigger ingest (core, in-process caches, one event loop = one core):`);
  console.log(
    `  ${measured.length} messages x ${PODS} pods (${(bytes / 1024).toFixed(0)} KiB each) in ${wall.toFixed(2)} s`,
  );
  console.log(
    `  ${perSecond.toFixed(0)} messages/s = ${(perSecond * PODS).toFixed(0)} pod samples/s`,
  );
  console.log(
    `  the process got ${((cpuSeconds / wall) * 100).toFixed(0)} % of one core meanwhile (a busy machine gives less)`,
  );
  console.log(
    `  per CPU-second of one core: ${perCpuSecond.toFixed(0)} messages = ${(perCpuSecond * PODS).toFixed(0)} pod samples`,
  );
  console.log(
    `  goal: 100 messages/s on one core (100 nodes x 1000 pods/s): ${perCpuSecond >= 100 ? 'met' : 'NOT met'}`,
  );
}

async function decisionLatency(): Promise<void> {
  const { createPolicy, deletePolicy, startTrigger } = await import('../tests/trigger/harness.ts');
  const h = await startTrigger();
  const core = h.kc.makeApiClient(CoreV1Api);
  const custom = h.kc.makeApiClient(CustomObjectsApi);
  const id = `bench-${Date.now().toString(36)}`;
  const TRIALS = 100;
  const breaches = new BreachLatencies(
    h.informers.informer<Migration>({ path: `/apis/${GROUP}/${VERSION}/${MIGRATION_PLURAL}` }),
  );
  try {
    await core.createNode({ body: { metadata: { name: id, labels: { [LAYER_LABEL]: 'edge' } } } });
    await createNamespace(id, { bench: id });
    const pods: { namespace: string; name: string; uid: string }[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const p = await core.createNamespacedPod({
        namespace: id,
        body: {
          metadata: { name: `p${i}` },
          spec: { nodeName: id, containers: [{ name: 'app', image: 'x' }] },
        },
      });
      pods.push({ namespace: id, name: `p${i}`, uid: p.metadata!.uid! });
    }
    await createPolicy(
      h.kc,
      id,
      policy(id, {
        selector: { namespaceSelector: { matchLabels: { bench: id } } },
        triggers: [{ metric: 'containerCPU', above: 90, for: '2s' }],
        maxConcurrentPerNode: 100,
      }).spec,
    );
    const podCache = h.informers.informer<V1Pod>({ path: '/api/v1/pods' });
    const policyCache = h.informers.informer({
      path: `/apis/${GROUP}/${VERSION}/${MIGRATION_POLICY_PLURAL}`,
    });
    while (!policyCache.get(id) || !podCache.get(`p${TRIALS - 1}`, id)) await sleep(50);
    // 3 s of sample time per pod, centred on now: within the trigger's clock-skew bound.
    let t = Math.floor(Date.now() / 1000) * 1000 - 1500 * TRIALS;
    for (const pod of pods) {
      for (let s = 0; s < 3; s++) {
        const m: MetricsMessage = {
          schemaVersion: 1,
          node: id,
          time: new Date((t += 1000)).toISOString(),
          intervalMs: 1000,
          nodeMetrics: { cpuPercent: 50, memoryPercent: 50 },
          pods: [
            {
              ...pod,
              containers: [{ name: 'app', cpuPercent: 97, memoryPercent: 10, memoryBytes: 1 }],
            },
          ],
        };
        // the third sample above 90 % completes the 2 s window
        if (s < 2) h.nc.publish(metricsSubject(id), JSON.stringify(m));
        else
          await breaches.publishCompleting(
            h.nc,
            metricsSubject(id),
            JSON.stringify(m),
            id,
            pod.name,
          );
      }
      const deadline = Date.now() + 10_000;
      while (!breaches.hasSeen(id, pod.name) && Date.now() < deadline) await sleep(1);
      if (!breaches.hasSeen(id, pod.name))
        throw new Error(`no Migration for ${pod.name} within 10 s`);
    }
    const { latencies } = breaches.result();
    console.log(
      `trigger decision latency (real NATS -> trigger -> real API server, seen by a watch):`,
    );
    console.log(
      `  ${TRIALS} pods: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
    );
    console.log(`  goal: p99 < 250 ms: ${percentile(latencies, 99) < 250 ? 'met' : 'NOT met'}`);
  } finally {
    await deletePolicy(h.kc, id);
    await custom
      .deleteCollectionNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: MIGRATION_PLURAL,
        namespace: id,
      })
      .catch(() => undefined);
    await core
      .deleteCollectionNamespacedPod({ namespace: id, gracePeriodSeconds: 0 })
      .catch(() => undefined);
    await core.deleteNamespace({ name: id }).catch(() => undefined);
    await core.deleteNode({ name: id }).catch(() => undefined);
    await h.stop();
  }
}

await ingestThroughput();
if (process.env.CONTINUUM_TEST_ENV) await decisionLatency();
else
  console.log(
    'decision latency: skipped (needs the test environment, see the header of this file)',
  );
