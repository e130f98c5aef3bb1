/**
 * Pods with a controller. A StatefulSet's pod keeps its name, so its source goes first and the
 * StatefulSet's re-creation becomes the restored pod (phases/restoring-in-place.ts); it moves
 * only without volumes that stay on the node.
 *
 * Pods of a ReplicaSet (a Deployment's): the ReplicaSet must own the restored pod afterwards and
 * never see more than one extra replica. The restored pod is created without the
 * `pod-template-hash` label, so the ReplicaSet neither counts nor adopts it while it starts;
 * once it is Ready the source gets the lowest pod-deletion-cost and the restored pod the label:
 * the ReplicaSet adopts it, finds one replica too many and removes the source (the Migration
 * deletes the source itself once the adoption shows, in case the ReplicaSet has not). The
 * Deployment's template is never touched, so nothing rolls out.
 */
import type { V1Deployment, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { Migration, MigrationStatus } from '../api/types.ts';
import { TERMINAL, type OwnerObjects } from './model.ts';
import { controllerOf } from './pods.ts';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';
/** The lowest cost there is: the ReplicaSet removes this pod before any other. */
export const FIRST_TO_GO = '-2147483647';

export type PodOwner = NonNullable<MigrationStatus['owner']>;
/** The controllers whose pods are migrated (with pods of none). */
export const MOVED_CONTROLLERS: readonly string[] = ['ReplicaSet', 'StatefulSet'];
export type ReplicaSetOwner = Extract<PodOwner, { kind: 'ReplicaSet' }>;

type Refusal = { reason: string; message: string };

/** The owner the source's controllers allow to record, or why not. */
export function ownerOf(pod: V1Pod, objects: OwnerObjects = {}): { owner: PodOwner } | Refusal {
  const controller = controllerOf(pod)!;
  const name = `pod "${pod.metadata?.name}"`;
  if (!MOVED_CONTROLLERS.includes(controller.kind)) {
    return {
      reason: 'PodHasController',
      message:
        `${name} is controlled by ${controller.kind} "${controller.name}"; only pods without a ` +
        'controller and pods of a ReplicaSet (Deployment) or StatefulSet can be migrated',
    };
  }
  if (controller.kind === 'StatefulSet') return statefulSetOwner(pod, objects.statefulSet);
  const { replicaSet, deployment } = objects;
  const hash = pod.metadata?.labels?.[POD_TEMPLATE_HASH];
  if (!replicaSet || replicaSet.metadata?.uid !== controller.uid || !hash) {
    return {
      reason: 'OwnerNotFound',
      message: `ReplicaSet "${controller.name}" of ${name} is gone, or the pod has no ${POD_TEMPLATE_HASH} label`,
    };
  }
  const rollout = deployment && rolloutOf(deployment);
  if (rollout) {
    return {
      reason: 'OwnerRollingOut',
      message: `Deployment "${deployment.metadata?.name}" of ${name} is rolling out (${rollout}); migrate once it is done`,
    };
  }
  const owner = { kind: 'ReplicaSet' as const, name: controller.name, uid: controller.uid };
  return { owner: { ...owner, podTemplateHash: hash } };
}

/** A StatefulSet's pod: its set not rolling out. */
function statefulSetOwner(
  pod: V1Pod,
  set: V1StatefulSet | undefined,
): { owner: PodOwner } | Refusal {
  const controller = controllerOf(pod)!;
  const name = `pod "${pod.metadata?.name}"`;
  if (!set || set.metadata?.uid !== controller.uid) {
    return {
      reason: 'OwnerNotFound',
      message: `StatefulSet "${controller.name}" of ${name} is gone`,
    };
  }
  const { currentRevision, updateRevision } = set.status ?? {};
  if (updateRevision && currentRevision !== updateRevision) {
    return {
      reason: 'OwnerRollingOut',
      message: `StatefulSet "${controller.name}" of ${name} is rolling out (revision ${currentRevision} → ${updateRevision}); migrate once it is done`,
    };
  }
  return { owner: { kind: 'StatefulSet', name: controller.name, uid: controller.uid } };
}

/** What shows a Deployment rolling out, if it is. */
function rolloutOf(d: V1Deployment): string | undefined {
  const s = d.status ?? {};
  const want = d.spec?.replicas ?? 1;
  if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return 'a new generation';
  if (d.spec?.paused) return 'paused';
  if ((s.updatedReplicas ?? 0) !== want || (s.replicas ?? 0) !== want) {
    return `${s.updatedReplicas ?? 0} of ${want} replicas updated, ${s.replicas ?? 0} in all`;
  }
  return undefined;
}

/**
 * Other active Migrations of the same namespace moving a pod of `owner`. `m` may start only while
 * there are fewer than its spec.maxUnavailablePerOwner (absent: 1): each Migration holds to its
 * own limit, the one its policy gave it.
 */
export function movingWith(owner: PodOwner, m: Migration, others: Migration[]): Migration[] {
  return others.filter(
    (o) =>
      o.metadata.uid !== m.metadata.uid &&
      o.status?.owner?.uid === owner.uid &&
      !TERMINAL.includes(o.status?.phase ?? 'Pending'),
  );
}

/** The restored pod has been adopted by the source's ReplicaSet. */
export function isAdopted(pod: V1Pod | undefined, owner: PodOwner): boolean {
  return pod?.metadata?.ownerReferences?.some((r) => r.controller && r.uid === owner.uid) ?? false;
}

/** The pod carries the lowest deletion cost (set by a Migration at cutover). */
export function markedFirstToGo(pod: V1Pod | undefined): boolean {
  return pod?.metadata?.annotations?.[DELETION_COST] === FIRST_TO_GO;
}
