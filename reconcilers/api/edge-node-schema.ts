/** The OpenAPI/CEL schema of EdgeNode (cluster-scoped). */
import { conditions, duration, labelMap, observedGeneration, typeMeta } from './common-schema.ts';
import { array, integer, object, oneOf, RFC3339, string, type Schema } from './schema.ts';
import {
  DEFAULT_CHECKPOINT_DIRECTORY,
  DEFAULT_CPU_WINDOW,
  DEFAULT_MONITORING_INTERVAL,
  LAYER_LABEL,
  type EdgeNode,
  type EdgeNodeMonitoring,
  type EdgeNodeNodeStatus,
  type EdgeNodeSpec,
  type EdgeNodeStatus,
} from './types.ts';

const monitoring = object<EdgeNodeMonitoring>(
  'How the agent on these nodes samples pods and the node.',
  {
    interval: duration(
      'Time between two samples (and two metrics messages).',
      DEFAULT_MONITORING_INTERVAL,
      '100ms',
      '1h',
    ),
    cpuWindow: duration(
      'Window CPU usage is averaged over; not longer than interval.',
      DEFAULT_CPU_WINDOW,
      '100ms',
      '1h',
    ),
  },
  {
    default: { interval: DEFAULT_MONITORING_INTERVAL, cpuWindow: DEFAULT_CPU_WINDOW },
    'x-kubernetes-validations': [
      {
        rule: 'duration(self.cpuWindow) <= duration(self.interval)',
        message: 'cpuWindow must not be longer than interval',
        fieldPath: '.cpuWindow',
      },
    ],
  },
);

const spec = object<EdgeNodeSpec>(
  'An edge site: which nodes it has, where their workloads go, how they are monitored.',
  {
    nodeSelector: labelMap(
      `Labels selecting the edge nodes of this site, e.g. {"${LAYER_LABEL}": "edge"}.`,
      { minProperties: 1 },
    ),
    cloudSelector: labelMap(
      `Labels selecting the cloud nodes workloads move to, e.g. {"${LAYER_LABEL}": "cloud"}.`,
      { minProperties: 1 },
    ),
    monitoring,
    checkpointDirectory: string(
      'Directory the kubelet writes checkpoint archives to on these nodes (an absolute path).',
      { default: DEFAULT_CHECKPOINT_DIRECTORY, maxLength: 4096, pattern: '^(/[^/]+)+$' },
    ),
    evictionPolicy: oneOf(
      'What an eviction of a pod on these nodes does (kubectl drain, the descheduler, the ' +
        'cluster autoscaler). Evict (the default): the pod is evicted. Migrate: the eviction is ' +
        'answered 429 and a checkpoint Migration (cutover TargetReady) moves the pod instead; the ' +
        'eviction is retried and succeeds once the pod has moved, or at once if its Migration ' +
        "failed. Needs the operator's eviction webhook.",
      ['Evict', 'Migrate'],
      { default: 'Evict' },
    ),
  },
  {
    required: ['nodeSelector', 'cloudSelector'],
    'x-kubernetes-validations': [
      {
        rule: 'self.cloudSelector != self.nodeSelector',
        message: 'cloudSelector must differ from nodeSelector',
        fieldPath: '.cloudSelector',
      },
      {
        rule: `!('${LAYER_LABEL}' in self.nodeSelector) || self.nodeSelector['${LAYER_LABEL}'] != 'cloud'`,
        message: `nodeSelector must not select cloud nodes (${LAYER_LABEL}=cloud)`,
        fieldPath: '.nodeSelector',
      },
      {
        rule: `!('${LAYER_LABEL}' in self.cloudSelector) || self.cloudSelector['${LAYER_LABEL}'] != 'edge'`,
        message: `cloudSelector must not select edge nodes (${LAYER_LABEL}=edge)`,
        fieldPath: '.cloudSelector',
      },
    ],
  },
);

const status = object<EdgeNodeStatus>('Observed state, written by the operator only.', {
  observedGeneration,
  conditions: conditions('Ready (an agent runs on every matched node) and Synced.'),
  nodes: array(
    'The nodes matched by spec.nodeSelector.',
    object<EdgeNodeNodeStatus>(
      'One matched node.',
      {
        name: string('Node name.', { maxLength: 253 }),
        agentReady: { type: 'boolean', description: 'Whether the agent on this node is Ready.' },
        lastMetricsTime: string('When metrics from this node were last received.', RFC3339),
      },
      { required: ['name'] },
    ),
    { maxItems: 10000, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] },
  ),
  matchedNodes: integer('Number of nodes matched by spec.nodeSelector.', { minimum: 0 }),
  agentsReady: integer('Number of matched nodes whose agent is ready.', { minimum: 0 }),
  cloudNodes: integer('Number of nodes matched by spec.cloudSelector.', { minimum: 0 }),
  restoreWrappersReady: integer(
    "Number of those cloud nodes where continuum's restore wrapper is ready (the restore " +
      'installer DaemonSet): restoreMode Auto restores there through the RuntimeClass.',
    { minimum: 0 },
  ),
  lastMetricsTime: string('When metrics from any of these nodes were last received.', RFC3339),
});

/** The openAPIV3Schema of the EdgeNode CRD. */
export const edgeNodeSchema: Schema = object<EdgeNode>(
  'Declares a group of Kubernetes nodes as an edge site; the operator runs the metrics agent on them.',
  { ...typeMeta, spec, status },
  { required: ['spec'] },
);
