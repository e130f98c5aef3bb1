import test from 'ava';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { edgeNodeStatus, targetNode } from '../../reconcilers/edgenode/status.ts';
import { agentDaemonSet, daemonSetName } from '../../reconcilers/edgenode/daemonset.ts';
import type { EdgeNode } from '../../reconcilers/api/types.ts';

const now = new Date('2026-11-28T09:00:00Z');
const edge: EdgeNode = {
  apiVersion: 'continuum.dev/v1alpha1',
  kind: 'EdgeNode',
  metadata: { name: 'site-a', uid: 'u-1', generation: 3 },
  spec: {
    nodeSelector: { site: 'a' },
    cloudSelector: { 'continuum.dev/layer': 'cloud' },
    monitoring: { interval: '1s', cpuWindow: '1s' },
    checkpointDirectory: '/var/lib/kubelet/checkpoints',
  },
};
const node = (name: string): V1Node => ({ metadata: { name } });
const agentPod = (nodeName: string, ready: boolean): V1Pod => ({
  spec: { nodeName, containers: [] },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const ds = (numberReady: number) => ({
  status: {
    numberReady,
    currentNumberScheduled: 0,
    desiredNumberScheduled: 0,
    numberMisscheduled: 0,
  },
});
const none = () => undefined;
const noCloud = { cloudNodes: [], restoreWrappers: new Set<string>() };

const cases: [string, Parameters<typeof edgeNodeStatus>[1], Record<string, [string, string]>][] = [
  [
    'no node matched',
    { nodes: [], agentPods: [], lastMetrics: none, ...noCloud },
    { Ready: ['False', 'NoNodesMatched'], Synced: ['True', 'DaemonSetApplied'] },
  ],
  [
    'one of two agents ready',
    {
      nodes: [node('n1'), node('n2')],
      agentPods: [agentPod('n1', true)],
      daemonSet: ds(1),
      lastMetrics: none,
      ...noCloud,
    },
    { Ready: ['False', 'AgentsNotReady'] },
  ],
  [
    'all agents ready',
    {
      nodes: [node('n1')],
      agentPods: [agentPod('n1', true)],
      daemonSet: ds(1),
      lastMetrics: none,
      ...noCloud,
    },
    { Ready: ['True', 'AgentsReady'] },
  ],
  [
    'no NATS URL',
    {
      nodes: [node('n1')],
      agentPods: [],
      lastMetrics: none,
      syncError: { reason: 'NatsNotConfigured', message: 'x' },
      ...noCloud,
    },
    { Synced: ['False', 'NatsNotConfigured'] },
  ],
];

for (const [title, observation, expected] of cases) {
  test(`status: ${title}`, (t) => {
    const s = edgeNodeStatus(edge, observation, now);
    for (const [type, [status, reason]] of Object.entries(expected)) {
      t.like(
        s.conditions?.find((c) => c.type === type),
        { status, reason, observedGeneration: 3 },
      );
    }
  });
}

test('status: per-node readiness, metrics times rounded to 30 s, cloud nodes with the restore wrapper; transitions keep their time', (t) => {
  const observed = {
    nodes: [node('n2'), node('n1')],
    agentPods: [agentPod('n2', true), agentPod('n1', false)],
    daemonSet: ds(1),
    lastMetrics: (n: string) => (n === 'n1' ? Date.parse('2026-11-28T08:59:59Z') : undefined),
    cloudNodes: [node('c1'), node('c2')],
    restoreWrappers: new Set(['c2', 'elsewhere']),
  };
  const s = edgeNodeStatus(edge, observed, now);
  t.deepEqual(s.nodes, [
    { name: 'n1', agentReady: false, lastMetricsTime: '2026-11-28T08:59:30.000Z' },
    { name: 'n2', agentReady: true },
  ]);
  t.is(s.matchedNodes, 2);
  t.is(s.agentsReady, 1);
  t.is(s.cloudNodes, 2);
  t.is(s.restoreWrappersReady, 1, 'only the cloud nodes with the wrapper count');
  const later = edgeNodeStatus({ ...edge, status: s }, observed, new Date('2026-11-28T10:00:00Z'));
  t.deepEqual(later, s);
});

test('an unscheduled DaemonSet pod counts for the node it is pinned to', (t) => {
  const pod: V1Pod = {
    spec: {
      containers: [],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] },
            ],
          },
        },
      },
    },
  };
  t.is(targetNode(pod), 'n7');
});

test('the DaemonSet changes (new hash) exactly when what it runs changes', (t) => {
  const settings = {
    image: 'img:1',
    natsUrl: 'nats://n:4222',
    namespace: 'continuum-system',
    serviceAccount: 'continuum-agent',
  };
  const hash = (e: EdgeNode, s = settings) =>
    agentDaemonSet(e, s).metadata!.annotations!['continuum.dev/spec-hash'];
  t.is(hash(edge), hash({ ...edge, status: { matchedNodes: 4 } }));
  t.not(
    hash(edge),
    hash({ ...edge, spec: { ...edge.spec, monitoring: { interval: '2s', cpuWindow: '1s' } } }),
  );
  t.not(hash(edge), hash(edge, { ...settings, image: 'img:2' }));
  t.true(daemonSetName('x'.repeat(100)).length <= 63);
});

test('the agents pull the product image with the configured Secret, and only then', (t) => {
  const settings = {
    image: 'img:1',
    natsUrl: 'nats://n:4222',
    namespace: 'ns',
    serviceAccount: 'sa',
  };
  const secrets = (s: typeof settings & { imagePullSecret?: string }) =>
    agentDaemonSet(edge, s).spec?.template.spec?.imagePullSecrets;
  t.deepEqual(secrets({ ...settings, imagePullSecret: 'product-pull' }), [
    { name: 'product-pull' },
  ]);
  t.is(secrets(settings), undefined);
});
