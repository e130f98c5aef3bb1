/**
 * The continuum API (group `continuum.dev`, version `v1alpha1`): Migration, MigrationPolicy and
 * EdgeNode. These interfaces are the single source of truth; `reconcilers/api/schemas/` turns
 * them into the OpenAPI/CEL schemas that `npm run synth` writes to `crds/`.
 *
 * Selector conventions: a *node* selector is a plain label map (like `pod.spec.nodeSelector`,
 * every label must match) because it is handed to pods and DaemonSets as-is; namespace and pod
 * selectors are full `metav1.LabelSelector`s because policies need set-based matching there.
 * metadata is client-node's V1ObjectMeta, so the resources are `KubernetesObject`s.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';

export const GROUP = 'continuum.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;

export const MIGRATION_KIND = 'Migration';
export const MIGRATION_POLICY_KIND = 'MigrationPolicy';
export const EDGE_NODE_KIND = 'EdgeNode';
export const MIGRATION_PLURAL = 'migrations';
export const MIGRATION_POLICY_PLURAL = 'migrationpolicies';
export const EDGE_NODE_PLURAL = 'edgenodes';

/** Node label that says which layer a node belongs to (`edge` or `cloud`). */
export const LAYER_LABEL = 'continuum.dev/layer';
export type Layer = 'edge' | 'cloud';
/** Namespace the operator (and the agent DaemonSets, imaging Jobs' settings) live in. */
export const OPERATOR_NAMESPACE = 'continuum-system';
/**
 * Annotation the trigger puts on a Migration it creates: until then (RFC3339) the Migration is
 * kept whatever its TTL, because the policy's cooldown reads it.
 */
export const KEEP_UNTIL_ANNOTATION = 'continuum.dev/keep-until';
/** Finalizer the operator puts on Migrations so it can clean up (Jobs, archives) before deletion. */
export const FINALIZER = 'continuum.dev/cleanup';

// Defaults (the schemas use these; code reading objects created before a default existed may too).
export const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_CUTOVER: Cutover = 'AfterCheckpoint';
export const DEFAULT_COOLDOWN = '5m';
export const DEFAULT_TRIGGER_FOR = '30s';
export const DEFAULT_MAX_CONCURRENT_PER_NODE = 1;
export const DEFAULT_MAX_UNAVAILABLE_PER_OWNER = 1;
export const DEFAULT_MONITORING_INTERVAL = '1s';
export const DEFAULT_CPU_WINDOW = '1s';
export const DEFAULT_CHECKPOINT_DIRECTORY = '/var/lib/kubelet/checkpoints';

/** `metav1.LabelSelector`. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

/** A reference to a Secret in the Migration's namespace. */
export interface LocalObjectReference {
  name: string;
}

/** `metav1.Condition`. Reasons are CamelCase; messages carry no timestamps. */
export interface Condition {
  type: 'Ready' | 'Synced' | (string & {});
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type RestorePolicy = 'checkpoint' | 'restart';
/** When the source pod stops: right after the checkpoint (safe default) or once the target is Ready. */
export type Cutover = 'AfterCheckpoint' | 'TargetReady';

/** Where the workload goes: exactly one of nodeName or nodeSelector (enforced by CEL). */
export interface MigrationTarget {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
}

/** Where the checkpoint image is pushed and how it is pulled. */
export interface MigrationImage {
  /** e.g. `registry.example.com/continuum/checkpoints`; default from the operator's ConfigMap. */
  repository?: string;
  /** Secret of type kubernetes.io/dockerconfigjson used by the imaging Job to push. */
  pushSecretRef?: LocalObjectReference;
  /** Secret of type kubernetes.io/dockerconfigjson put in the restored pod's imagePullSecrets. */
  pullSecretRef?: LocalObjectReference;
  /** Keep the checkpoint images in the registry once Done (default: deleted then). */
  retain?: boolean;
}

export interface MigrationSpec {
  podName: string;
  /** Containers to checkpoint; absent = all containers of the pod. */
  containers?: string[];
  restorePolicy: RestorePolicy;
  target?: MigrationTarget;
  image?: MigrationImage;
  /** Defaulted by the API server to 'AfterCheckpoint'. */
  cutover: Cutover;
  /** Keep (absent): refuse a pod with volumes that stay on the node; Detach: empty ones instead. */
  volumes?: 'Keep' | 'Detach';
  /** How a checkpoint is restored; defaulted by the API server to 'Auto'. */
  restoreMode?: RestoreMode;
  /** Defaulted by the API server to 600. */
  timeoutSeconds: number;
  /** Seconds a finished Migration stays before it is deleted; absent: the operator's defaults. */
  ttlSecondsAfterFinished?: number;
  /**
   * For a pod of a ReplicaSet or StatefulSet: how many Migrations of that owner's pods may be
   * active at once, this one included; absent: 1. The trigger copies its policy's.
   */
  maxUnavailablePerOwner?: number;
  /** The MigrationPolicy that created this Migration (set by the trigger). */
  policyRef?: LocalObjectReference;
  reason?: string;
}

/**
 * RuntimeClass: continuum's runc wrapper on the target node restores (the RuntimeClass its
 * installer serves); Runtime: the container runtime restores a checkpoint image itself
 * (containerd 2.1–2.3 with restore enabled, CRI-O with container-level restore); Auto: the
 * wrapper where it is installed, else the runtime.
 */
export const RESTORE_MODES = ['Auto', 'RuntimeClass', 'Runtime'] as const;
export type RestoreMode = (typeof RESTORE_MODES)[number];

export const MIGRATION_PHASES = [
  'Pending',
  'Checkpointing',
  'Imaging',
  'Restoring',
  'Done',
  'Failed',
] as const;
export type MigrationPhase = (typeof MIGRATION_PHASES)[number];

export interface CheckpointArchive {
  container: string;
  /** Path of the archive on the source node. */
  path: string;
  sizeBytes?: number;
  /** The checkpoint image made from this archive, verified in the registry: repository@sha256:… */
  image?: string;
}

export interface MigrationStatus {
  phase?: MigrationPhase;
  conditions?: Condition[];
  observedGeneration?: number;
  sourceNode?: string;
  /** UID of the source pod when the migration started (a pod re-created under its name is not it). */
  sourcePodUID?: string;
  targetNode?: string;
  targetPod?: string;
  /** How the checkpoint was restored (spec.restoreMode resolved, once the restored pod exists). */
  restoreMode?: Exclude<RestoreMode, 'Auto'>;
  /**
   * Set when the restored pod could not run from the checkpoint after the source was gone: the
   * workload was started afresh from its original image on the target (its memory state lost).
   */
  restoreFallback?: { reason: string; message: string };
  /**
   * The controller of the source pod. A ReplicaSet (a Deployment's) adopts the restored pod and
   * removes the source (`podTemplateHash`: the source's `pod-template-hash` label); a
   * StatefulSet re-creates the pod under its name once the source is gone, and the restore
   * webhook makes that pod the restored one.
   */
  owner?:
    | { kind: 'ReplicaSet'; name: string; uid: string; podTemplateHash: string }
    | { kind: 'StatefulSet'; name: string; uid: string };
  checkpoint?: { archives: CheckpointArchive[] };
  /** Pushed checkpoint image, `repository@sha256:…`. */
  image?: string;
  /** RFC3339 time each phase was entered. */
  phaseTransitionTimestamps?: Partial<Record<MigrationPhase, string>>;
  attempts?: number;
  /** StatefulSet replacements the restore webhook missed that were deleted to be re-created (≤ 1). */
  interceptRetries?: number;
  failureReason?: string;
  /**
   * Wall-clock time from creation to Done/Failed, e.g. `42s`, `2m3s` (see formatDuration in
   * duration.ts); written by the operator when the Migration ends; shown as the Duration column.
   */
  duration?: string;
}

export interface Migration {
  apiVersion: typeof API_VERSION;
  kind: typeof MIGRATION_KIND;
  metadata: V1ObjectMeta;
  spec: MigrationSpec;
  status?: MigrationStatus;
}

export type MetricName = 'containerCPU' | 'containerMemory' | 'nodeCPU' | 'nodeMemory';

export interface MigrationTrigger {
  metric: MetricName;
  /** Percent, 1..100 (container values relative to their limit, else to the node). */
  above: number;
  /** How long the value must stay above, a duration string like `30s`; default `30s`. */
  for: string;
}

export interface MigrationPolicySelector {
  /** Labels of the (edge) nodes whose pods this policy covers; absent = every edge node. */
  nodeSelector?: Record<string, string>;
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
}

export interface MigrationPolicySpec {
  selector: MigrationPolicySelector;
  /** Any trigger firing creates a Migration. */
  triggers: MigrationTrigger[];
  restorePolicy: RestorePolicy;
  /** spec.restoreMode of the Migrations this policy creates (absent: Auto). */
  restoreMode?: RestoreMode;
  target?: MigrationTarget;
  /** Minimum time between two Migrations of the same pod; default `5m`. */
  cooldown: string;
  /** Maximum unfinished Migrations from one source node at once; default 1. */
  maxConcurrentPerNode: number;
  /** Maximum unfinished Migrations of the pods of one ReplicaSet or StatefulSet; default 1. */
  maxUnavailablePerOwner: number;
  /** spec.ttlSecondsAfterFinished of the Migrations this policy creates (absent: defaults). */
  ttlSecondsAfterFinished?: number;
}

export interface MigrationPolicyStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** RFC3339 time this policy last created a Migration. */
  lastTriggered?: string;
  /** Number of Migrations this policy has created. */
  migrationsCreated?: number;
}

export interface MigrationPolicy {
  apiVersion: typeof API_VERSION;
  kind: typeof MIGRATION_POLICY_KIND;
  metadata: V1ObjectMeta;
  spec: MigrationPolicySpec;
  status?: MigrationPolicyStatus;
}

export interface EdgeNodeMonitoring {
  /** Sampling interval of the agent; default `1s`. */
  interval: string;
  /** Window over which CPU usage is averaged; default `1s`. */
  cpuWindow: string;
}

export interface EdgeNodeSpec {
  /** Labels selecting the edge nodes of this site. */
  nodeSelector: Record<string, string>;
  /** Labels selecting the cloud nodes this site's workloads move to. */
  cloudSelector: Record<string, string>;
  monitoring: EdgeNodeMonitoring;
  /** Where the kubelet writes checkpoint archives on these nodes. */
  checkpointDirectory: string;
  /** Evict (default): evictions proceed; Migrate: an eviction becomes a Migration. */
  evictionPolicy?: 'Evict' | 'Migrate';
}

/** One node of an edge site, as the operator last saw it. */
export interface EdgeNodeNodeStatus {
  name: string;
  /** Whether the agent pod on this node is Ready. */
  agentReady?: boolean;
  /** RFC3339 time the last metrics message from this node was received. */
  lastMetricsTime?: string;
}

export interface EdgeNodeStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** The nodes currently matched by spec.nodeSelector. */
  nodes?: EdgeNodeNodeStatus[];
  matchedNodes?: number;
  agentsReady?: number;
  /** Nodes spec.cloudSelector matches, where this site's workloads are restored. */
  cloudNodes?: number;
  /** Of those, the ones where continuum's restore wrapper is ready (restore installer). */
  restoreWrappersReady?: number;
  /** RFC3339 time the last metrics message from any of these nodes was received. */
  lastMetricsTime?: string;
}

export interface EdgeNode {
  apiVersion: typeof API_VERSION;
  kind: typeof EDGE_NODE_KIND;
  metadata: V1ObjectMeta;
  spec: EdgeNodeSpec;
  status?: EdgeNodeStatus;
}
