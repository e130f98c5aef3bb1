/** The OpenAPI/CEL schema of MigrationPolicy (cluster-scoped). */
import {
  conditions,
  duration,
  labelMap,
  labelSelector,
  maxUnavailablePerOwner,
  observedGeneration,
  target,
  ttlSecondsAfterFinished,
  typeMeta,
} from './common-schema.ts';
import { restoreMode, restorePolicy } from './migration-schema.ts';
import { array, integer, object, oneOf, RFC3339, string, type Schema } from './schema.ts';
import {
  DEFAULT_COOLDOWN,
  DEFAULT_MAX_CONCURRENT_PER_NODE,
  DEFAULT_MAX_UNAVAILABLE_PER_OWNER,
  DEFAULT_TRIGGER_FOR,
  LAYER_LABEL,
  type MigrationPolicy,
  type MigrationPolicySelector,
  type MigrationPolicySpec,
  type MigrationPolicyStatus,
  type MigrationTrigger,
} from './types.ts';

const trigger = object<MigrationTrigger>(
  'A threshold on one metric. CPU percentages of a container are relative to its CPU limit ' +
    "(cpu.max), else to the node's cores; memory to its memory limit, else to the node's memory.",
  {
    metric: oneOf(
      'What is measured: containerCPU, containerMemory (per container of a covered pod), nodeCPU, ' +
        'nodeMemory (of the node the pod runs on).',
      ['containerCPU', 'containerMemory', 'nodeCPU', 'nodeMemory'],
    ),
    above: integer('Threshold in percent (1 to 100); the trigger fires above it.', {
      minimum: 1,
      maximum: 100,
    }),
    for: duration(
      'How long the value must stay above the threshold before a Migration is created; 0s fires on ' +
        'the first sample.',
      DEFAULT_TRIGGER_FOR,
      '0s',
      '24h',
    ),
  },
  { required: ['metric', 'above'] },
);

const selector = object<MigrationPolicySelector>(
  'Which pods the policy covers: pods on matching nodes, in matching namespaces, with matching ' +
    'labels. Every part is optional; an empty selector covers every pod on every edge node.',
  {
    nodeSelector: labelMap(
      `Labels of the edge nodes whose pods are covered; absent means every edge node (${LAYER_LABEL}=edge).`,
    ),
    namespaceSelector: labelSelector('Labels of the namespaces whose pods are covered.'),
    podSelector: labelSelector('Labels of the pods covered.'),
  },
);

const spec = object<MigrationPolicySpec>(
  'When a Migration is created automatically, for which pods, and how it restores. When several ' +
    'policies cover a pod, the most specific selector wins; ties go to the first name.',
  {
    selector: { ...selector, default: {} },
    triggers: array(
      'Thresholds; any one holding for its duration creates a Migration. At most one per metric.',
      trigger,
      {
        minItems: 1,
        maxItems: 4,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['metric'],
      },
    ),
    restorePolicy,
    restoreMode,
    target: target(
      "Where the Migrations this policy creates restore to. Absent: the EdgeNode's cloudSelector.",
    ),
    cooldown: duration(
      'Minimum time between two Migrations of the same pod created by this policy.',
      DEFAULT_COOLDOWN,
      '0s',
      '168h',
    ),
    maxConcurrentPerNode: integer(
      'Most unfinished Migrations this policy may have from one source node at a time.',
      { default: DEFAULT_MAX_CONCURRENT_PER_NODE, minimum: 1, maximum: 100 },
    ),
    maxUnavailablePerOwner: maxUnavailablePerOwner(
      'Most pods of one owner (the ReplicaSet of a Deployment, a StatefulSet) this policy moves at ' +
        'once: no Migration is created for such a pod while that many Migrations of the ' +
        "owner's pods are unfinished, whoever created them; the pod is moved on a later sample " +
        'once one has finished. Copied into each Migration, whose operator holds to it too. A ' +
        "Deployment's pod keeps running until its replacement is Ready (up to this many extra " +
        "replicas for a while); a StatefulSet's pod is down while it moves. Pods without an " +
        'owner are not limited by it.',
      DEFAULT_MAX_UNAVAILABLE_PER_OWNER,
    ),
    ttlSecondsAfterFinished: ttlSecondsAfterFinished(
      'spec.ttlSecondsAfterFinished of the Migrations this policy creates: seconds a Done or ' +
        "Failed one stays before the operator deletes it. Absent: the operator's defaults. Either " +
        'way each stays at least for the cooldown, which reads them.',
    ),
  },
  {
    required: ['triggers'],
    'x-kubernetes-validations': [
      {
        rule:
          `!has(self.selector.nodeSelector) || !('${LAYER_LABEL}' in self.selector.nodeSelector) || ` +
          `self.selector.nodeSelector['${LAYER_LABEL}'] != 'cloud'`,
        message: `selector.nodeSelector must not select cloud nodes (${LAYER_LABEL}=cloud): pods move away from edge nodes`,
        fieldPath: '.selector.nodeSelector',
      },
    ],
  },
);

const status = object<MigrationPolicyStatus>('Observed state, written by the operator only.', {
  observedGeneration,
  conditions: conditions(
    'Ready: whether metrics reach the trigger that evaluates this policy (reason Active; TriggerNotRunning: the operator has no NATS URL; NatsUnreachable: NATS has been unreachable for 10 s; Connecting: NATS not reached yet and no earlier Ready to keep).',
  ),
  lastTriggered: string('When this policy last created a Migration.', RFC3339),
  migrationsCreated: integer(
    'Number of the Migrations this policy created that still exist (deleted ones no longer count).',
    { minimum: 0 },
  ),
});

/** The openAPIV3Schema of the MigrationPolicy CRD. */
export const migrationPolicySchema: Schema = object<MigrationPolicy>(
  'Thresholds that create Migrations automatically for the pods they cover.',
  { ...typeMeta, spec, status },
  { required: ['spec'] },
);
