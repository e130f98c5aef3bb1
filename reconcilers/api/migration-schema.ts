/** The OpenAPI/CEL schema of Migration (namespaced, spec immutable once created). */
import {
  conditions,
  maxUnavailablePerOwner,
  observedGeneration,
  secretRef,
  target,
  ttlSecondsAfterFinished,
  typeMeta,
} from './common-schema.ts';
import {
  array,
  boolean,
  DNS_LABEL,
  integer,
  object,
  objectName,
  oneOf,
  RFC3339,
  string,
  type Schema,
} from './schema.ts';
import {
  DEFAULT_CUTOVER,
  DEFAULT_TIMEOUT_SECONDS,
  MIGRATION_PHASES,
  RESTORE_MODES,
  type CheckpointArchive,
  type LocalObjectReference,
  type Migration,
  type MigrationImage,
  type MigrationSpec,
  type MigrationStatus,
} from './types.ts';

/** An OCI repository without tag or digest, e.g. `registry.example.com:5000/team/checkpoints`. */
const REPOSITORY =
  '^([A-Za-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$';

export const restorePolicy = oneOf(
  'How the workload is brought back on the target: checkpoint (its containers are checkpointed by ' +
    'the kubelet, turned into an image, pushed and restored: memory state is kept) or restart (the ' +
    'pod is recreated from its original images: state is lost). Default restart.',
  ['checkpoint', 'restart'],
  { default: 'restart' },
);

const image = object<MigrationImage>(
  'Where the checkpoint image is pushed and how it is pulled back (restorePolicy checkpoint only). ' +
    "Unset fields come from the operator's settings (values registry.*).",
  {
    repository: string(
      'OCI repository the checkpoint image is pushed to, without tag or digest, e.g. ' +
        'registry.example.com/continuum/checkpoints.',
      { maxLength: 255, pattern: REPOSITORY },
    ),
    pushSecretRef: secretRef(
      'Secret of type kubernetes.io/dockerconfigjson with credentials to push to repository.',
    ),
    pullSecretRef: secretRef(
      "Secret of type kubernetes.io/dockerconfigjson added to the restored pod's imagePullSecrets.",
    ),
    retain: boolean(
      'Keep the checkpoint images in the registry. By default the operator deletes their manifests ' +
        '(DELETE /v2/<name>/manifests/<digest>) once the Migration is Done (the restored pod runs, ' +
        'so its node holds what it needs), and when a Failed Migration is deleted: an image holds ' +
        "the workload's memory, secrets included. A registry that refuses deletes is reported once " +
        'in the ImagesDeleted condition. Default false.',
    ),
  },
);

/** spec.restoreMode, shared with MigrationPolicy. */
export const restoreMode = oneOf(
  "How a checkpoint is restored on the target. RuntimeClass: by continuum's runc wrapper, " +
    'which the operator installs on cloud nodes (restore.installer); the restored pod runs its ' +
    'original image under the RuntimeClass of the chart value restore.runtimeClass.name, only on nodes ' +
    'where the wrapper is ready (none: RestoreUnsupported). Runtime: the container runtime ' +
    'restores a checkpoint image itself (containerd 2.1–2.3 with ' +
    'enable_experimental_restore_via_create, CRI-O with container-level restore; containerd 2.4 ' +
    'no longer can: RestoreUnsupported). Auto (the default): RuntimeClass where the wrapper is ' +
    'ready on a target node, else Runtime. Either way a restored container that restarts later ' +
    'starts afresh from its image with the wrapper; the runtime path resumes the old checkpoint.',
  [...RESTORE_MODES],
  { default: 'Auto' },
);

const spec = object<MigrationSpec>(
  'What to move and how. Immutable: to change a Migration, create a new one.',
  {
    podName: objectName("Name of the pod to move, in the Migration's namespace."),
    containers: array(
      'Containers of the pod to checkpoint; absent means all of them.',
      string('A container name.', { minLength: 1, maxLength: 63, pattern: DNS_LABEL }),
      { minItems: 1, maxItems: 32, 'x-kubernetes-list-type': 'set' },
    ),
    restorePolicy,
    target: target(
      'Where the pod is restored. Absent: the cloudSelector of the EdgeNode the source node belongs to.',
    ),
    image,
    cutover: oneOf(
      'When the source pod stops: AfterCheckpoint (once the restored pod is scheduled, before its ' +
        'container starts, so the workload does not run twice; a restored pod no node takes keeps ' +
        'the source; the default) or TargetReady (only once the restored pod is Ready: shorter ' +
        'downtime, but both copies run for a while).',
      ['AfterCheckpoint', 'TargetReady'],
      { default: DEFAULT_CUTOVER },
    ),
    volumes: oneOf(
      'Volumes whose contents stay on the node (persistentVolumeClaim, hostPath, emptyDir, ' +
        'ephemeral: a checkpoint holds memory and the writable layer, not volumes). Keep (or ' +
        'absent): such a pod is refused (VolumeNotMovable). Detach: the restored pod gets an ' +
        'empty emptyDir in their place; their contents are lost.',
      ['Keep', 'Detach'],
    ),
    restoreMode,
    timeoutSeconds: integer(
      'Seconds the whole migration may take before it fails (the source pod is kept). Default 600.',
      { default: DEFAULT_TIMEOUT_SECONDS, minimum: 10, maximum: 86400 },
    ),
    ttlSecondsAfterFinished: ttlSecondsAfterFinished(
      'Seconds a Done or Failed Migration stays before the operator deletes it (0: at once). ' +
        "Absent: the operator's defaults, values migrations.ttlSecondsAfterDone (1 hour) and " +
        'migrations.ttlSecondsAfterFailed (7 days). A Migration a policy created stays at least ' +
        "for the policy's cooldown.",
    ),
    maxUnavailablePerOwner: maxUnavailablePerOwner(
      'For a pod of a ReplicaSet (a Deployment) or StatefulSet: most Migrations of that ' +
        "owner's pods that may be active at once, this one included. Pending fails this one with " +
        'AlreadyMigrating when that many others are active. Absent: 1, one pod of an owner at a ' +
        "time. The trigger copies its policy's maxUnavailablePerOwner.",
    ),
    policyRef: object<LocalObjectReference>(
      'The MigrationPolicy that created this Migration; set by the trigger.',
      { name: objectName('Name of the MigrationPolicy.') },
      { required: ['name'] },
    ),
    reason: string(
      'Why this Migration exists, for people (the trigger writes the values it saw).',
      {
        maxLength: 1024,
      },
    ),
  },
  {
    required: ['podName', 'restorePolicy'],
    'x-kubernetes-validations': [
      {
        rule: 'self == oldSelf',
        message: 'spec is immutable: delete the Migration and create a new one',
      },
      {
        rule: "self.restorePolicy == 'checkpoint' || !has(self.image)",
        message: 'image applies only to restorePolicy checkpoint',
        fieldPath: '.image',
      },
    ],
  },
);

const archive = object<CheckpointArchive>(
  'A checkpoint archive written by the kubelet.',
  {
    container: string('Container the archive belongs to.', { maxLength: 63 }),
    path: string('Path of the archive on the source node.', { maxLength: 4096 }),
    sizeBytes: integer('Size of the archive in bytes.', { minimum: 0 }),
    image: string('Checkpoint image made from this archive, verified: repository@sha256:digest.', {
      maxLength: 512,
    }),
  },
  { required: ['container', 'path'] },
);

const phaseTimestamps = object<NonNullable<MigrationStatus['phaseTransitionTimestamps']>>(
  'When each phase was entered (RFC3339).',
  Object.fromEntries(
    MIGRATION_PHASES.map((phase) => [
      phase,
      string(`When the ${phase} phase was entered.`, RFC3339),
    ]),
  ) as Record<(typeof MIGRATION_PHASES)[number], Schema>,
);

const status = object<MigrationStatus>('Observed progress, written by the operator only.', {
  phase: oneOf(
    'Pending → Checkpointing → Imaging → Restoring → Done (restart skips Checkpointing and ' +
      'Imaging); Failed is terminal and keeps the source pod.',
    MIGRATION_PHASES,
  ),
  conditions: conditions(
    'Ready (the migration finished well) and Synced (the last reconcile worked).',
  ),
  observedGeneration,
  sourceNode: string('Node the pod ran on when the migration started.', { maxLength: 253 }),
  sourcePodUID: string(
    'UID of the pod when the migration started: a pod re-created under its name is not migrated.',
    { maxLength: 64 },
  ),
  targetNode: string('Node the pod is restored on.', { maxLength: 253 }),
  targetPod: string('Name of the restored pod.', { maxLength: 253 }),
  restoreMode: oneOf(
    "How the checkpoint was restored: RuntimeClass (continuum's runc wrapper on the target " +
      'node) or Runtime (the container runtime restored the checkpoint image itself).',
    ['RuntimeClass', 'Runtime'],
  ),
  restoreFallback: object<NonNullable<MigrationStatus['restoreFallback']>>(
    'Set when the restored pod could not run from the checkpoint after the source was gone: ' +
      'the workload was started afresh from its original image on the target, its memory ' +
      'state lost.',
    {
      reason: string(
        'Why the restore failed: the container state reason, e.g. CreateContainerError.',
        {
          maxLength: 128,
        },
      ),
      message: string('What the container runtime said.', { maxLength: 4096 }),
    },
    { required: ['reason', 'message'] },
  ),
  owner: object<{ kind: string; name: string; uid: string; podTemplateHash?: string }>(
    'The controller of the source pod. A ReplicaSet (a Deployment) adopts the restored pod ' +
      'once that is Ready and removes the source; a StatefulSet re-creates the pod under its ' +
      'name once the source is gone, restored on the target by the restore webhook.',
    {
      kind: oneOf('Kind of the owner.', ['ReplicaSet', 'StatefulSet']),
      name: string('Name of the owner.', { maxLength: 253 }),
      uid: string('UID of the owner.', { maxLength: 64 }),
      podTemplateHash: string('ReplicaSet: the pod-template-hash label the restored pod gets.', {
        maxLength: 63,
      }),
    },
    { required: ['kind', 'name', 'uid'] },
  ),
  checkpoint: object<NonNullable<MigrationStatus['checkpoint']>>(
    'Checkpoint archives taken on the source node.',
    { archives: array('One archive per checkpointed container.', archive, { maxItems: 32 }) },
    { required: ['archives'] },
  ),
  image: string('Pushed checkpoint image, repository@sha256:digest.', { maxLength: 512 }),
  phaseTransitionTimestamps: phaseTimestamps,
  attempts: integer('Attempts of the current phase so far.', { minimum: 0 }),
  interceptRetries: integer(
    'StatefulSet replacements the restore webhook did not answer for that were deleted, so that the StatefulSet creates the pod again through the webhook (one at most).',
    { minimum: 0 },
  ),
  failureReason: string('Why the migration failed (phase Failed).', { maxLength: 4096 }),
  duration: string('Time from creation to Done or Failed, e.g. 42s or 2m3s.', { maxLength: 32 }),
});

/** The openAPIV3Schema of the Migration CRD. */
export const migrationSchema: Schema = object<Migration>(
  'Moves one pod from an edge node to a cloud node, by checkpoint/restore or by restart.',
  { ...typeMeta, spec, status },
  { required: ['spec'] },
);
