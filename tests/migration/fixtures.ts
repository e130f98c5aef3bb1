/** Builders of observed state for the pure tests of the Migration state machine. */
import type { V1Job, V1Node, V1Pod } from '@kubernetes/client-node';
import {
  FINALIZER,
  type EdgeNode,
  type Migration,
  type MigrationSpec,
  type MigrationStatus,
} from '../../reconcilers/api/types.ts';
import type { MigrationConfig, Observed } from '../../reconcilers/migration/model.ts';
import { POD_TEMPLATE_HASH } from '../../reconcilers/migration/owner.ts';
import {
  MIGRATION_LABEL,
  MIGRATION_UID_ANNOTATION,
  SOURCE_IMAGES_ANNOTATION,
  jobName,
  targetPodName,
} from '../../reconcilers/migration/names.ts';

export const T0 = new Date('2026-11-28T08:00:00Z');
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
export const UID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
export const DIGEST = `sha256:${'ab'.repeat(32)}`;
export const REPO = '127.0.0.1:5000/continuum/checkpoints';
/** The checkpoint image the imaging Job reports: REPO at DIGEST. */
export const IMAGE = `${REPO}@${DIGEST}`;

export const config: MigrationConfig = {
  defaultRepository: REPO,
  imagerImage: 'continuum:test',
  imagerServiceAccount: 'continuum-imager',
  checkpointTimeoutSeconds: 30,
  maxAttempts: 3,
  jobBackoffLimit: 2,
  pollMs: 1000,
  pullGraceMs: 60_000,
  eventPollMs: 5000,
  registryPlainHttp: false,
  jobTtlSeconds: 600,
  ttl: { doneSeconds: 3600, failedSeconds: 7 * 86400 },
  restore: { runtimeClassName: 'continuum' },
  reportingInstance: 'continuum-operator',
};

export function migration(
  spec: Partial<MigrationSpec> = {},
  status?: MigrationStatus,
  meta: Partial<Migration['metadata']> = {},
): Migration {
  return {
    apiVersion: 'continuum.dev/v1alpha1',
    kind: 'Migration',
    metadata: {
      name: 'mig',
      namespace: 'ns',
      uid: UID,
      generation: 1,
      resourceVersion: '10',
      creationTimestamp: T0,
      finalizers: [FINALIZER],
      ...meta,
    },
    spec: {
      podName: 'app',
      restorePolicy: 'checkpoint',
      cutover: 'AfterCheckpoint',
      timeoutSeconds: 600,
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

export function pod(
  opts: {
    containers?: string[];
    phase?: string;
    node?: string;
    deleting?: boolean;
    owner?: string;
  } = {},
): V1Pod {
  const containers = opts.containers ?? ['app'];
  return {
    metadata: {
      name: 'app',
      namespace: 'ns',
      uid: 'pod-uid',
      labels: { app: 'demo' },
      ...(opts.deleting ? { deletionTimestamp: at(1) } : {}),
      ...(opts.owner
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: opts.owner,
                name: 'rs-1',
                uid: 'rs',
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      nodeName: opts.node ?? 'edge-1',
      nodeSelector: { 'continuum.dev/layer': 'edge' },
      containers: containers.map((name) => ({
        name,
        image: `docker.io/library/${name}:1`,
        volumeMounts: [
          {
            name: 'kube-api-access-x1',
            mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
          },
        ],
      })),
      volumes: [
        { name: 'kube-api-access-x1', projected: { sources: [] } },
        { name: 'config', configMap: { name: 'app-config' } },
      ],
    },
    status: { phase: opts.phase ?? 'Running' },
  };
}

/**
 * A running source pod of the ReplicaSet or StatefulSet `rs-1` (UID `rs`), and what observe read
 * of that controller: settled, neither rolling out nor gone.
 */
export function ownedSource(kind: 'ReplicaSet' | 'StatefulSet'): Pick<Observed, 'pod' | 'owner'> {
  const source = pod({ owner: kind });
  const controller = { metadata: { name: 'rs-1', uid: 'rs' } };
  if (kind === 'StatefulSet') return { pod: source, owner: { statefulSet: controller } };
  source.metadata!.labels = { ...source.metadata!.labels, [POD_TEMPLATE_HASH]: 'h1' };
  return { pod: source, owner: { replicaSet: controller } };
}

export function node(
  name = 'edge-1',
  labels: Record<string, string> = { 'continuum.dev/layer': 'edge' },
): V1Node {
  return { metadata: { name, labels }, status: {} };
}

/** The restored pod as the state machine creates it, optionally Ready or owned by someone else. */
export function target(
  opts: {
    ready?: boolean;
    phase?: string;
    foreign?: boolean;
    node?: string;
    deleting?: boolean;
    /** The container `app` waits for this reason (CreateContainerError, ImagePullBackOff, …). */
    waiting?: string;
    created?: Date;
    name?: string;
    /** The original image the checkpoint image replaced (the source-images annotation). */
    sourceImage?: string;
  } = {},
): V1Pod {
  const m = migration();
  return {
    metadata: {
      ...(opts.deleting ? { deletionTimestamp: new Date() } : {}),
      name: opts.name ?? targetPodName(m),
      namespace: 'ns',
      uid: 'target-uid',
      creationTimestamp: opts.created ?? at(10),
      labels: { [MIGRATION_LABEL]: 'mig' },
      annotations: {
        [MIGRATION_UID_ANNOTATION]: opts.foreign ? 'other' : UID,
        ...(opts.sourceImage
          ? { [SOURCE_IMAGES_ANNOTATION]: JSON.stringify({ app: opts.sourceImage }) }
          : {}),
      },
    },
    spec: {
      nodeName: opts.node ?? 'cloud-1',
      containers: [{ name: 'app', image: 'x' }],
      ...(opts.sourceImage
        ? {
            initContainers: [
              { name: 'continuum-tools', image: 'continuum:test', volumeMounts: [TOOLS_MOUNT] },
              { name: 'continuum-base-app', image: opts.sourceImage, volumeMounts: [TOOLS_MOUNT] },
            ],
            volumes: [{ name: 'continuum-tools', emptyDir: {} }],
          }
        : {}),
    },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }],
      ...(opts.waiting
        ? {
            containerStatuses: [
              {
                name: 'app',
                image: 'x',
                imageID: '',
                ready: false,
                restartCount: 0,
                state: { waiting: { reason: opts.waiting, message: `${opts.waiting} happened` } },
              },
            ],
          }
        : {}),
    },
  };
}

const TOOLS_MOUNT = { name: 'continuum-tools', mountPath: '/continuum-tools' };

export function job(opts: { failed?: boolean; complete?: boolean } = {}): V1Job {
  const conditions = [
    ...(opts.failed ? [{ type: 'Failed', status: 'True' }] : []),
    ...(opts.complete ? [{ type: 'Complete', status: 'True' }] : []),
  ];
  return { metadata: { name: jobName(migration()), namespace: 'ns' }, status: { conditions } };
}

/** An imaging pod whose container `app` exited with `code` and `message`. */
export function jobPod(code: number, message: string, created = at(5)): V1Pod {
  return {
    metadata: {
      name: `imager-pod-${code}`,
      namespace: 'ns',
      creationTimestamp: created,
      labels: { 'job-name': jobName(migration()) },
    },
    status: {
      containerStatuses: [
        {
          name: 'app',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: code, message } },
        },
      ],
    },
  };
}

export function edgeNode(
  name: string,
  nodeSelector: Record<string, string>,
  cloudSelector: Record<string, string>,
): EdgeNode {
  return {
    apiVersion: 'continuum.dev/v1alpha1',
    kind: 'EdgeNode',
    metadata: { name },
    spec: {
      nodeSelector,
      cloudSelector,
      monitoring: { interval: '1s', cpuWindow: '1s' },
      checkpointDirectory: '/var/lib/kubelet/checkpoints',
    },
  };
}

/** Observed state: the Migration, a running source pod on edge-1, that node; override the rest. */
export function observed(m: Migration, o: Partial<Observed> = {}): Observed {
  return {
    migration: m,
    pod: pod(),
    node: node(),
    siblings: [],
    edgeNodes: [],
    jobPods: [],
    images: {},
    ownerMigrations: [],
    restoreNodes: { nodes: [], wrapper: new Set() },
    sandboxErrors: {},
    ...o,
  };
}

/** A status in `phase` with the timestamps of the phases before it. */
export function inPhase(
  phase: MigrationStatus['phase'],
  extra: MigrationStatus = {},
): MigrationStatus {
  const order = ['Pending', 'Checkpointing', 'Imaging', 'Restoring', 'Done'] as const;
  const stamps: MigrationStatus['phaseTransitionTimestamps'] = {};
  order
    .slice(0, order.indexOf(phase as (typeof order)[number]) + 1)
    .forEach((p, i) => (stamps[p] = at(i).toISOString()));
  return { phase, sourceNode: 'edge-1', phaseTransitionTimestamps: stamps, ...extra };
}

export const ARCHIVE =
  '/var/lib/kubelet/checkpoints/checkpoint-app_ns-app-2026-11-28T08:00:01Z.tar';

/** The recorded checkpoint archive of `container` (ARCHIVE, named after it). */
export const archive = (container = 'app') => ({
  container,
  path: ARCHIVE.replace('-app-', `-${container}-`),
});
