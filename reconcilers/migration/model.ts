/**
 * The vocabulary of the Migration state machine: what `observe` reads, what `decide` returns,
 * the actions only the reconciler shell performs, and their typed outcomes.
 */
import type {
  V1Deployment,
  V1Job,
  V1Node,
  V1Pod,
  V1ReplicaSet,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type {
  CheckpointArchive,
  Condition,
  EdgeNode,
  Migration,
  MigrationPhase,
  MigrationStatus,
} from '../api/types.ts';

/** Everything one pass knows, read fresh on every pass. Absent objects are `undefined`. */
export interface Observed {
  migration: Migration;
  /** The source pod named by spec.podName (once recorded, only the pod of that UID). */
  pod?: V1Pod;
  /** The source node: status.sourceNode, else the pod's spec.nodeName. */
  node?: V1Node;
  /** Other Migrations of the same pod in the namespace. */
  siblings: Migration[];
  edgeNodes: EdgeNode[];
  /** The imaging Job (deterministic name) and its pods. */
  job?: V1Job;
  jobPods: V1Pod[];
  /** The restored pod (deterministic name). */
  targetPod?: V1Pod;
  /** By container: the registry's answer for the image its imaging pod reported ({@link imagesToVerify}). */
  images: Record<string, ImageCheck>;
  /** In Pending, for a source pod with a controller: its ReplicaSet and Deployment, or StatefulSet. */
  owner?: OwnerObjects;
  /** Other Migrations of the namespace moving a pod of the same controller. */
  ownerMigrations: Migration[];
  /** The nodes, and those where continuum's restore wrapper is ready (restore-mode.ts). */
  restoreNodes: RestoreNodes;
  /** By pod UID: why the node cannot create the sandbox of the source or restored pod, if stuck. */
  sandboxErrors: Record<string, string>;
}

/** What observe read of the source's controllers (Pending only; owner.ts). */
export interface OwnerObjects {
  replicaSet?: V1ReplicaSet;
  deployment?: V1Deployment;
  statefulSet?: V1StatefulSet;
}

/** Every node, and those where continuum's restore wrapper is ready (restore-mode.ts). */
export interface RestoreNodes {
  /** Every node (the operator's cache). */
  nodes: V1Node[];
  /** Nodes where the restore wrapper is ready. */
  wrapper: Set<string>;
}

/** Whether a pushed image is in the registry: `unreachable` carries the cause. */
/** A reported image (`repository@digest`) and whether the registry has it. */
export type ImageCheck = { ref: string } & (
  { found: true } | { found: false; unreachable?: string }
);

/** Operator-wide settings the state machine depends on (flags of `continuum operator`). */
export interface MigrationConfig {
  /** Repository used when spec.image.repository is absent, e.g. `127.0.0.1:5000/continuum`. */
  defaultRepository?: string;
  /** Push and pull Secrets used when spec.image names none (names in the Migration's namespace). */
  defaultPushSecret?: string;
  defaultPullSecret?: string;
  /** Image of the imaging Job (the project's own image, which has `continuum imager`). */
  imagerImage: string;
  /** How long a restored pod may fail to pull an image before the Migration stops waiting. */
  pullGraceMs: number;
  /**
   * dockerconfigjson Secret that pulls {@link imagerImage} from a private registry, in the
   * Migration's namespace (where the imaging Job and cleanup pods run).
   */
  imagePullSecret?: string;
  /** ServiceAccount the imaging Job runs as (created in the Migration's namespace). */
  imagerServiceAccount: string;
  /** PEM CA bundle of a registry with a private CA, handed to the imaging Jobs. */
  registryCaPem?: string;
  /** The registry speaks plain HTTP (one inside the cluster, without TLS). */
  registryPlainHttp: boolean;
  /** Seconds a finished imaging or cleanup Job (and its pods' logs) stays before it goes. */
  jobTtlSeconds: number;
  /**
   * Seconds a Done / Failed Migration stays when its spec names no TTL; undefined: kept until
   * someone deletes it.
   */
  ttl: { doneSeconds?: number; failedSeconds?: number };
  /** Timeout the kubelet is given for one checkpoint, in seconds. */
  checkpointTimeoutSeconds: number;
  /** Failed attempts (transient kubelet or registry errors) before the Migration fails. */
  maxAttempts: number;
  /** backoffLimit of the imaging Job: pod retries before Imaging fails. */
  jobBackoffLimit: number;
  /**
   * continuum's runc wrapper: the RuntimeClass of pods it restores, and the key restore tickets
   * are signed with (absent: the operator could not get it, RuntimeClass restores are refused).
   */
  restore: { runtimeClassName: string; signer?: { issuer: string; key: Buffer } };
  /** How often to look again while waiting for something that sends no event, in ms. */
  pollMs: number;
  /** This operator replica, the reportingInstance of the Events it records. */
  reportingInstance: string;
  /** Safety-net look while waiting for a Job or a restored pod, whose changes are watched. */
  eventPollMs: number;
}

/** Something the shell does; each is idempotent or guarded by intent recorded in status. */
export type Action =
  | { type: 'addFinalizer' }
  | { type: 'removeFinalizer' }
  | { type: 'checkpoint'; node: string; container: string }
  | { type: 'createJob'; job: V1Job }
  | { type: 'deleteJob'; name: string }
  | { type: 'createPod'; pod: V1Pod }
  /**
   * Sets (null: removes) labels and annotations of a pod, only if it is still the one observed:
   * `handover` gives a ReplicaSet's source the lowest deletion cost and the restored pod its
   * template hash; `unmark` takes the cost off a source that stays.
   */
  | {
      type: 'patchPod';
      name: string;
      uid: string;
      why: 'handover' | 'unmark';
      labels?: Record<string, string | null>;
      annotations?: Record<string, string | null>;
    }
  /** Deletes a pod only if it is still the one observed (uid precondition). */
  | {
      type: 'deletePod';
      name: string;
      uid: string;
      /**
       * cutover: the source, replaced; rollback: a restored pod whose source still runs;
       * fallback: a restored pod that cannot run from its checkpoint, replaced by a fresh one;
       * reintercept: a StatefulSet's replacement the restore webhook missed, to be created again.
       */
      why: 'cutover' | 'rollback' | 'fallback' | 'reintercept';
      /** With `fallback`: what the runtime said, for the Event. */
      cause?: string;
      /** Overrides the pod's terminationGracePeriodSeconds. */
      gracePeriodSeconds?: number;
      /** A cutover in the pass that finishes the Migration: its Succeeded Event tells of it. */
      toldBySucceeded?: boolean;
    }
  /**
   * Deletes the checkpoint images' manifests from the registry. bestEffort (the Migration is
   * being deleted): a failure becomes a Warning Event instead of holding the finalizer.
   */
  | { type: 'deleteImages'; refs: string[]; bestEffort?: boolean }
  /** Deletes the Migration itself (its TTL is over); the finalizer's pass cleans up. */
  | { type: 'deleteMigration' };

/** What an action came to. `archive` is the result of a checkpoint. */
export type Outcome =
  | { ok: true; archive?: CheckpointArchive; imagesDeleted?: ImagesDeleted }
  | { ok: false; transient: boolean; reason: string; message: string };

/** The ImagesDeleted condition a deleteImages action earned: True, or False when refused. */
export type ImagesDeleted = Pick<Condition, 'status' | 'reason' | 'message'>;

/** The output of the pure tier: the status to write, what to do, when to look again. */
export interface Decision {
  status: MigrationStatus;
  actions: Action[];
  /** Look again after this many ms even without an event; undefined = only on events. */
  requeueAfterMs?: number;
  /** A transient obstacle (e.g. registry unreachable): Synced turns False, the pass is retried. */
  problem?: { reason: string; message: string };
}

/** The phases in which the source workload still runs and nothing is committed. */
export const BEFORE_RESTORING: readonly MigrationPhase[] = ['Pending', 'Checkpointing', 'Imaging'];
export const TERMINAL: readonly MigrationPhase[] = ['Done', 'Failed'];
