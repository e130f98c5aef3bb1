/**
 * The ingest shell with in-memory caches and a recording MigrationCreator (the pure tier; the
 * same paths run against the real API server and NATS in trigger.test.ts). The pods are what the
 * operator's pod informer keeps of them (triggerView), which is all the trigger needs.
 */
import test from 'ava';
import type { V1Namespace, V1Node, V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { MetricsIngest } from '../../reconcilers/trigger/ingest.ts';
import { triggerView } from '../../reconcilers/trigger/factory.ts';
import { MigrationIndex } from '../../reconcilers/trigger/migration-index.ts';
import { MetricsReceipts } from '../../reconcilers/trigger/receipts.ts';
import { podSamplesDropped } from '../../reconcilers/trigger/metrics.ts';
import type { MigrationDraft } from '../../reconcilers/trigger/decide.ts';
import { silentLogger } from '../../reconcilers/runtime/log.ts';
import type { MigrationPolicy, MigrationPolicySpec } from '../../reconcilers/api/types.ts';
import type { MetricsMessage } from '../../reconcilers/agent/message.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { MapCache } from './map-cache.ts';

const T0 = Date.parse('2026-11-28T08:00:00Z');
const podNames = ['light', 'heavy', 'middle'];
const cpu: Record<string, number> = { light: 5, heavy: 70, middle: 40 };

/** The three pods on edge-1 (all of `owner`, if given) under one policy (`spec` over its own). */
function setup(
  creator: (d: MigrationDraft) => Promise<'created' | 'exists'>,
  spec: Partial<MigrationPolicySpec> = {},
  owner?: V1OwnerReference,
) {
  const pods: V1Pod[] = podNames.map((name) => ({
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: '1',
      ...(owner ? { ownerReferences: [owner] } : {}),
    },
    spec: { nodeName: 'edge-1', containers: [{ name: 'app', image: 'busybox:1.36' }] },
    status: { phase: 'Running' },
  }));
  const nodes: V1Node[] = [
    { metadata: { name: 'edge-1', labels: { 'continuum.dev/layer': 'edge' } } },
  ];
  const namespaces: V1Namespace[] = [{ metadata: { name: 'ns' } }];
  const policy: MigrationPolicy = {
    apiVersion: 'continuum.dev/v1alpha1',
    kind: 'MigrationPolicy',
    metadata: { name: 'node-hot' },
    spec: {
      selector: {},
      triggers: [{ metric: 'nodeCPU', above: 90, for: '2s' }],
      restorePolicy: 'restart',
      cooldown: '5m',
      maxConcurrentPerNode: 1,
      maxUnavailablePerOwner: 1,
      ...spec,
    },
  };
  const receipts = new MetricsReceipts();
  const ingest = new MetricsIngest({
    // as the operator's pod informer keeps them
    pods: new MapCache(pods.map(triggerView)),
    nodes: new MapCache(nodes),
    namespaces: new MapCache(namespaces),
    policies: new MapCache([policy]),
    migrations: new MigrationIndex(() => []),
    creator: { create: creator },
    receipts,
    log: silentLogger(),
    clock: new FakeClock(T0 + 60_000),
  });
  return { ingest, receipts };
}

function message(i: number, extra: MetricsMessage['pods'] = []): string {
  const m: MetricsMessage = {
    schemaVersion: 1,
    node: 'edge-1',
    time: new Date(T0 + i * 1000).toISOString(),
    intervalMs: 1000,
    nodeMetrics: { cpuPercent: 97, memoryPercent: 50 },
    pods: [
      ...podNames.map((name) => ({
        namespace: 'ns',
        name,
        uid: `uid-${name}`,
        containers: [{ name: 'app', cpuPercent: cpu[name], memoryPercent: 1, memoryBytes: 1 }],
      })),
      ...extra,
    ],
  };
  return JSON.stringify(m);
}

test('a node-wide breach under a limit of 1 moves the heaviest pod only, once', async (t) => {
  const drafts: MigrationDraft[] = [];
  const { ingest, receipts } = setup(async (d) => (drafts.push(d), 'created'));
  for (let i = 0; i < 6; i++) await ingest.ingest('continuum.metrics.edge-1', message(i));
  t.deepEqual(
    drafts.map((d) => d.spec.podName),
    ['heavy'],
  );
  t.is(receipts.lastReceived('edge-1'), T0 + 60_000);
});

test('a node-wide breach moves at most maxUnavailablePerOwner pods of one ReplicaSet, heaviest first', async (t) => {
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs' };
  for (const [limit, moved] of [
    [1, ['heavy']],
    [2, ['heavy', 'middle']],
  ] as const) {
    const drafts: MigrationDraft[] = [];
    const record = async (d: MigrationDraft) => (drafts.push(d), 'created' as const);
    const { ingest } = setup(
      record,
      { maxConcurrentPerNode: 3, maxUnavailablePerOwner: limit },
      { ...owner, controller: true },
    );
    for (let i = 0; i < 6; i++) await ingest.ingest('continuum.metrics.edge-1', message(i));
    t.deepEqual(
      drafts.map((d) => d.spec.podName),
      [...moved],
      `limit ${limit}`,
    );
  }
});

test('a failed creation is retried on the next message', async (t) => {
  let calls = 0;
  const { ingest } = setup(async () => {
    calls++;
    if (calls === 1) throw new Error('API server unavailable');
    return 'created';
  });
  for (let i = 0; i < 4; i++) await ingest.ingest('continuum.metrics.edge-1', message(i));
  t.is(calls, 2);
});

test('messages far from the operator clock are dropped (a skewed clock cannot block a node)', async (t) => {
  const drafts: MigrationDraft[] = [];
  const { ingest, receipts } = setup(async (d) => (drafts.push(d), 'created'));
  await ingest.ingest('continuum.metrics.edge-1', message(3600));
  t.is(receipts.lastReceived('edge-1'), undefined);
  for (let i = 0; i < 6; i++) await ingest.ingest('continuum.metrics.edge-1', message(i));
  t.is(drafts.length, 1);
});

test('pod entries of unknown pods, or pods of another node, are dropped one by one', async (t) => {
  const { ingest } = setup(async () => 'created');
  const before = (await podSamplesDropped.get()).values[0]?.value ?? 0;
  await ingest.ingest(
    'continuum.metrics.edge-1',
    message(0, [
      { namespace: 'ns', name: 'gone', uid: 'uid-gone', containers: [] },
      { namespace: 'ns', name: 'heavy', uid: 'uid-old-heavy', containers: [] },
    ]),
  );
  t.is(((await podSamplesDropped.get()).values[0]?.value ?? 0) - before, 2);
});

test('the pod informer keeps identity, labels, controller, node and volumes; not status or containers', (t) => {
  const owner = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name: 'rs',
    uid: 'rs',
    controller: true,
  };
  const volumes = [{ name: 'data', hostPath: { path: '/data' } }];
  const identity = { name: 'p', namespace: 'ns', uid: 'u', resourceVersion: '7' };
  const kept = triggerView({
    metadata: {
      ...identity,
      labels: { app: 'a' },
      annotations: { big: 'x'.repeat(1000) },
      ownerReferences: [owner],
    },
    spec: { nodeName: 'edge-1', volumes, containers: [{ name: 'app', image: 'busybox:1.36' }] },
    status: { phase: 'Running', podIP: '10.0.0.1' },
  });
  t.deepEqual(kept, {
    metadata: { ...identity, labels: { app: 'a' }, ownerReferences: [owner] },
    spec: { nodeName: 'edge-1', volumes, containers: [] },
  });
});
