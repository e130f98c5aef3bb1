/** Pure questions about pods and Jobs that several phases ask, and the source's cutover. */
import type { V1Job, V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import type { Migration } from '../api/types.ts';
import type { Action } from './model.ts';
import { MIGRATION_UID_ANNOTATION } from './names.ts';

/** The pod's Ready condition is True. */
export function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The pod exists and nobody has asked to delete it. */
export function isAlive(pod: V1Pod | undefined): pod is V1Pod {
  return pod !== undefined && !pod.metadata?.deletionTimestamp;
}

/** The controller owning the object (ReplicaSet, StatefulSet, Job, DaemonSet, …), if any. */
export function controllerOf(obj: {
  metadata?: V1ObjectMeta;
}): { kind: string; name: string; uid: string } | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller);
}

/** The object was created by this Migration (its UID annotation), not merely named alike. */
export function ownedBy(obj: V1Pod | V1Job, m: Migration): boolean {
  return obj.metadata?.annotations?.[MIGRATION_UID_ANNOTATION] === m.metadata.uid;
}

/** The containers the Migration moves: spec.containers, else every container of the pod. */
export function wantedContainers(m: Migration, pod: V1Pod | undefined): string[] {
  return m.spec.containers?.length
    ? m.spec.containers
    : (pod?.spec?.containers.map((c) => c.name) ?? []);
}

/** The Job's condition of a type is True (`Complete` or `Failed`). */
export function jobIs(job: V1Job, type: 'Complete' | 'Failed'): boolean {
  return job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

/**
 * Deleting the source at cutover. A checkpointed source gets a second, not its grace period:
 * whatever it does after its checkpoint is lost anyway (the restored pod goes on from the
 * checkpoint), and a grace period would only let both run at once. `finishing`: the pass also
 * makes the Migration Done, and the Succeeded Event tells of the deletion.
 */
export function sourceCutover(m: Migration, source: V1Pod, finishing = false): Action {
  return {
    type: 'deletePod',
    name: m.spec.podName,
    uid: source.metadata!.uid!,
    why: 'cutover',
    ...(m.spec.restorePolicy === 'checkpoint' ? { gracePeriodSeconds: 1 } : {}),
    ...(finishing ? { toldBySucceeded: true } : {}),
  };
}
