/**
 * The trigger's decision for one pod under its governing policy: state in, Migration draft out.
 * Pure and deterministic; the trigger shell does the I/O.
 *
 * A trigger fires when its metric's window covers its `for` duration and every sample in it is
 * above the threshold. Even then no Migration is drafted when:
 * - the pod already has an unfinished Migration (any origin);
 * - the policy created one for this pod less than `cooldown` ago;
 * - the policy has `maxConcurrentPerNode` unfinished Migrations from the pod's node;
 * - the operator would refuse the pod: a controller other than a ReplicaSet or a StatefulSet
 *   (PodHasController), a volume whose contents stay on the node (VolumeNotMovable);
 * - its controller already has `maxUnavailablePerOwner` unfinished Migrations, whoever created
 *   them (so that a policy never moves all replicas of a Deployment at once); the pod is
 *   decided again on its next sample.
 * The controller is named in the reason, the Migration labelled with its UID and given the
 * policy's `maxUnavailablePerOwner`, which the operator holds to as well (phases/pending.ts).
 *
 * The draft's name is `<pod>-<hash(pod UID, policy, n)>` where n counts the Migrations this
 * policy already created for this pod: a duplicated or replayed message, or a second decision
 * racing the first before the informer caught up, yields the same name (AlreadyExists = done),
 * while a new breach after the cooldown yields a new one.
 */
import { createHash } from 'node:crypto';
import { parseDuration } from '../api/duration.ts';
import { MOVED_CONTROLLERS } from '../migration/owner.ts';
import {
  DEFAULT_MAX_UNAVAILABLE_PER_OWNER,
  KEEP_UNTIL_ANNOTATION,
  type MetricName,
  type MigrationPhase,
  type MigrationPolicy,
  type MigrationSpec,
  type MigrationTrigger,
} from '../api/types.ts';
import type { WindowView } from './series.ts';

export const POLICY_LABEL = 'continuum.dev/policy';
export const NODE_LABEL = 'continuum.dev/node';
export const POD_UID_LABEL = 'continuum.dev/pod-uid';
export const OWNER_UID_LABEL = 'continuum.dev/owner-uid';

/** What the decision needs to know about an existing Migration. */
export interface ExistingMigration {
  name: string;
  namespace: string;
  podName: string;
  labels: Record<string, string>;
  /** creationTimestamp, ms since the epoch. */
  createdMs: number;
  phase?: MigrationPhase;
  /**
   * UID of the controller of its pod as the operator recorded it (`status.owner`), whoever
   * created the Migration; before that, the trigger's own know it by {@link OWNER_UID_LABEL}.
   */
  ownerUid?: string;
}

export interface TriggerWindow {
  pod: {
    namespace: string;
    name: string;
    uid: string;
    /** The pod's controller, if it has one. */
    owner?: { kind: string; name: string; uid: string };
    /** A volume of the pod whose contents stay on the node (the operator refuses such a pod). */
    volumeStays?: boolean;
  };
  node: string;
  /** Windows of the pod's container metrics and of its node's metrics. */
  windows: Partial<Record<MetricName, { view(forMs: number): WindowView | undefined }>>;
  /** Migrations of the pod's namespace, and those labelled with the pod's node. */
  migrations: ExistingMigration[];
}

export interface MigrationDraft {
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: Pick<
    MigrationSpec,
    | 'podName'
    | 'restorePolicy'
    | 'restoreMode'
    | 'target'
    | 'policyRef'
    | 'reason'
    | 'ttlSecondsAfterFinished'
    | 'maxUnavailablePerOwner'
  >;
}

const durations = new Map<string, number>();
/** parseDuration, memoised: decisions run for every pod of every message. */
export function durationMs(text: string): number {
  let ms = durations.get(text);
  if (ms === undefined) durations.set(text, (ms = parseDuration(text)));
  return ms;
}

const unfinished = (m: ExistingMigration) => m.phase !== 'Done' && m.phase !== 'Failed';

/** How many unfinished Migrations move pods of the controller `ownerUid`. */
function movingOf(ownerUid: string, migrations: ExistingMigration[]): number {
  return migrations.filter(
    (m) => (m.ownerUid ?? m.labels[OWNER_UID_LABEL]) === ownerUid && unfinished(m),
  ).length;
}

const fmt = (v: number) => `${Math.round(v * 10) / 10}%`;

function firing(
  window: TriggerWindow,
  t: MigrationTrigger,
): { trigger: MigrationTrigger; view: WindowView } | undefined {
  const view = window.windows[t.metric]?.view(durationMs(t.for ?? '30s'));
  if (!view || !view.covered || view.min <= t.above) return undefined;
  return { trigger: t, view };
}

function reasonOf(window: TriggerWindow, t: MigrationTrigger, view: WindowView): string {
  const subject = t.metric.startsWith('node')
    ? `of node "${window.node}"`
    : `of container "${view.latest.source ?? '?'}"`;
  return (
    `${t.metric} ${subject} above ${t.above}% for ${t.for}: ` +
    `lowest ${fmt(view.min)}, latest ${fmt(view.latest.value)}`
  );
}

/**
 * `<pod>-<10 hex>`, the pod part cut so the whole is a valid object name of ≤ 63 characters;
 * `after` tells the Migrations of one pod apart (the creation time of the newest one, in ms).
 */
export function migrationName(
  podName: string,
  podUid: string,
  policy: string,
  after: number,
): string {
  const hash = createHash('sha256')
    .update(`${podUid}/${policy}/${after}`)
    .digest('hex')
    .slice(0, 10);
  return `${podName.slice(0, 52).replace(/[-.]+$/, '')}-${hash}`;
}

export function decideTrigger(
  window: TriggerWindow,
  policy: MigrationPolicy,
  now: number,
): MigrationDraft | null {
  const fired = policy.spec.triggers.map((t) => firing(window, t)).find((f) => f !== undefined);
  if (!fired) return null;
  const { pod, node, migrations } = window;
  const policyName = policy.metadata.name ?? '';
  const ofPod = migrations.filter(
    (m) =>
      m.labels[POD_UID_LABEL] === pod.uid ||
      (m.namespace === pod.namespace && m.podName === pod.name),
  );
  if (ofPod.some(unfinished)) return null;
  const mine = ofPod.filter((m) => m.labels[POLICY_LABEL] === policyName);
  const cooldownMs = durationMs(policy.spec.cooldown ?? '5m');
  if (mine.some((m) => now - m.createdMs < cooldownMs)) return null;
  const fromNode = migrations.filter(
    (m) => m.labels[POLICY_LABEL] === policyName && m.labels[NODE_LABEL] === node && unfinished(m),
  );
  if (fromNode.length >= (policy.spec.maxConcurrentPerNode ?? 1)) return null;
  const { owner } = pod;
  if ((owner && !MOVED_CONTROLLERS.includes(owner.kind)) || pod.volumeStays) {
    return null;
  }
  const maxPerOwner = policy.spec.maxUnavailablePerOwner ?? DEFAULT_MAX_UNAVAILABLE_PER_OWNER;
  if (owner && movingOf(owner.uid, migrations) >= maxPerOwner) return null;
  const reason = reasonOf(window, fired.trigger, fired.view);
  const spec: MigrationDraft['spec'] = {
    podName: pod.name,
    restorePolicy: policy.spec.restorePolicy ?? 'restart',
    policyRef: { name: policyName },
    reason: owner ? `${reason} (a pod of ${owner.kind} "${owner.name}")` : reason,
  };
  if (policy.spec.target) spec.target = policy.spec.target;
  if (policy.spec.restoreMode) spec.restoreMode = policy.spec.restoreMode;
  if (policy.spec.ttlSecondsAfterFinished !== undefined) {
    spec.ttlSecondsAfterFinished = policy.spec.ttlSecondsAfterFinished;
  }
  if (owner) spec.maxUnavailablePerOwner = maxPerOwner;
  // named after the newest Migration of the pod still there: never the name of one that exists,
  // however many older ones their TTL removed
  const newest = Math.max(0, ...mine.map((m) => m.createdMs));
  return {
    metadata: {
      name: migrationName(pod.name, pod.uid, policyName, newest),
      namespace: pod.namespace,
      labels: {
        [POLICY_LABEL]: policyName,
        [NODE_LABEL]: node,
        [POD_UID_LABEL]: pod.uid,
        ...(owner ? { [OWNER_UID_LABEL]: owner.uid } : {}),
      },
      // the cooldown reads this Migration: its TTL must not remove it sooner
      annotations: { [KEEP_UNTIL_ANNOTATION]: new Date(now + cooldownMs).toISOString() },
    },
    spec,
  };
}
