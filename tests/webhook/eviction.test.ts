/**
 * GIVEN an eviction of a pod (kubectl drain, the descheduler, the cluster autoscaler)
 * WHEN the webhook answers it
 * THEN a pod continuum can move, on a node of an EdgeNode with evictionPolicy Migrate, is not
 *   evicted (429) and a checkpoint Migration (TargetReady) is drafted, once; while it runs the
 *   eviction keeps waiting; once it ended (moved or failed) and on every other node, of every
 *   other kind of pod, and on a dry run, the eviction goes ahead.
 */
import test from 'ava';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { EdgeNode, Migration, MigrationPhase } from '../../reconcilers/api/types.ts';
import {
  answerEviction,
  evictionMigrationName,
  type EvictionFacts,
} from '../../reconcilers/webhook/eviction.ts';

const pod = (owner?: string): V1Pod => ({
  metadata: {
    name: 'web',
    namespace: 'shop',
    uid: 'pod-uid',
    ...(owner
      ? {
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: owner, name: 'o', uid: 'o', controller: true },
          ],
        }
      : {}),
  },
  spec: { nodeName: 'edge-1', containers: [] },
});
const node: V1Node = { metadata: { name: 'edge-1', labels: { site: 'north' } } };
const edge = (evictionPolicy: 'Evict' | 'Migrate'): EdgeNode => ({
  apiVersion: 'continuum.dev/v1alpha1',
  kind: 'EdgeNode',
  metadata: { name: 'north' },
  spec: {
    nodeSelector: { site: 'north' },
    cloudSelector: { site: 'cloud' },
    monitoring: { interval: '1s', cpuWindow: '1s' },
    checkpointDirectory: '/var/lib/kubelet/checkpoints',
    evictionPolicy,
  },
});
const OWN = evictionMigrationName('web', 'pod-uid');
const migration = (name: string, phase: MigrationPhase): Migration => ({
  apiVersion: 'continuum.dev/v1alpha1',
  kind: 'Migration',
  metadata: { name, namespace: 'shop' },
  spec: {
    podName: 'web',
    restorePolicy: 'checkpoint',
    cutover: 'TargetReady',
    timeoutSeconds: 600,
  },
  status: {
    phase,
    sourcePodUID: 'pod-uid',
    failureReason: phase === 'Failed' ? 'CheckpointFailed' : undefined,
  },
});
const facts = (over: Partial<EvictionFacts> = {}): EvictionFacts => ({
  pod: pod(),
  node,
  edgeNodes: [edge('Migrate')],
  migrations: [],
  dryRun: false,
  ...over,
});

test('a movable pod on a Migrate node: 429 and a checkpoint Migration with TargetReady', (t) => {
  for (const p of [pod(), pod('ReplicaSet')]) {
    const answer = answerEviction(facts({ pod: p }));
    t.false(answer.allowed);
    if (answer.allowed) continue;
    t.regex(answer.message, /moved by Migration "evict-web-[0-9a-f]{10}"/);
    t.like(answer.create, {
      metadata: { name: OWN, namespace: 'shop' },
      spec: { podName: 'web', restorePolicy: 'checkpoint', cutover: 'TargetReady' },
    });
  }
});

test('while its Migration runs, the eviction keeps waiting and nothing new is drafted', (t) => {
  const answer = answerEviction(facts({ migrations: [migration(OWN, 'Imaging')] }));
  t.like(answer, { allowed: false });
  t.false('create' in answer && answer.create !== undefined);
});

test('once its Migration ended, moved or failed, the eviction goes ahead', (t) => {
  for (const phase of ['Done', 'Failed'] as const) {
    t.true(answerEviction(facts({ migrations: [migration(OWN, phase)] })).allowed, phase);
  }
});

test('everything else is evicted as usual', (t) => {
  const cases: [string, Partial<EvictionFacts>][] = [
    ['an EdgeNode that evicts', { edgeNodes: [edge('Evict')] }],
    ['a node of no EdgeNode', { edgeNodes: [] }],
    ['a pod of a StatefulSet', { pod: pod('StatefulSet') }],
    ['a pod of a DaemonSet', { pod: pod('DaemonSet') }],
    ['a pod that is gone', { pod: undefined }],
    ['a dry run', { dryRun: true }],
  ];
  for (const [what, over] of cases) t.true(answerEviction(facts(over)).allowed, what);
});

test('the Migration name is a valid object name, the same for the same pod', (t) => {
  const long = evictionMigrationName('x'.repeat(80), 'u');
  t.true(long.length <= 63);
  t.regex(long, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  t.is(evictionMigrationName('web', 'pod-uid'), OWN);
});
