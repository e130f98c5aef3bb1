/**
 * Done and Failed are terminal: a pass only removes leftovers (an imaging Job still running;
 * after a failure, a restored pod whose source still runs, and the deletion cost a handover
 * gave a ReplicaSet's source). A finished imaging Job stays, with
 * its pods' logs, until its TTL (ttlSecondsAfterFinished). Deleting the Migration removes it,
 * runs the same cleanup, starts a Job that deletes the archives still on the source node (when imaging had
 * not finished: recorded ones, and those of checkpoint calls whose answer was lost), then
 * releases the finalizer.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { MigrationStatus } from '../../api/types.ts';
import { FINALIZER } from '../../api/types.ts';
import type { Action, Decision, MigrationConfig, Observed } from '../model.ts';
import { cleanupJob } from '../archive-cleanup.ts';
import { archivesOf, imageOf } from '../images.ts';
import { DELETION_COST, isAdopted, markedFirstToGo } from '../owner.ts';
import { isAlive, jobIs, ownedBy, wantedContainers } from '../pods.ts';

/**
 * Cleanup of a Migration that has ended. Done needs its imaging Job no more, and it has done its
 * work (the images are verified): it finishes by itself, even where the cached Job does not say
 * Complete yet. A Failed Migration stops a Job still running.
 */
export function terminal(o: Observed, status: MigrationStatus): Decision {
  const running =
    status.phase === 'Failed' && o.job && !jobIs(o.job, 'Complete') && !jobIs(o.job, 'Failed');
  return { status, actions: leftovers(o, status, running ? o.job : undefined) };
}

/** Cleanup of a Migration being deleted, whatever its phase; the finalizer goes last. */
export function finalize(
  o: Observed,
  status: MigrationStatus,
  now: Date,
  cfg: MigrationConfig,
): Decision {
  const m = o.migration;
  const actions = leftovers(o, status, o.job);
  // Once every image is pushed, the imaging Job has deleted all archives (its init container
  // the unrecorded ones, each imager its own); until then, any may still be on the node.
  const archives = archivesOf(status);
  const imaged =
    (o.job !== undefined && jobIs(o.job, 'Complete')) ||
    (archives.length > 0 && archives.every((a) => imageOf(status, a.container)));
  const containers = [
    ...new Set([...archives.map((a) => a.container), ...wantedContainers(m, o.pod)]),
  ];
  // A node that no longer exists took its archives with it (and would never run the Job).
  const job =
    !imaged && status.sourceNode && o.node
      ? cleanupJob(m, status.sourceNode, status, containers, now, cfg)
      : undefined;
  if (job) actions.push({ type: 'createJob', job });
  if (m.metadata.finalizers?.includes(FINALIZER)) actions.push({ type: 'removeFinalizer' });
  return { status, actions };
}

/**
 * `job`, and a restored pod that duplicates a source still running (unless the Migration is
 * Done: then the restored pod is the workload).
 */
function leftovers(o: Observed, status: MigrationStatus, job: V1Job | undefined): Action[] {
  const actions: Action[] = [];
  if (job) actions.push({ type: 'deleteJob', name: job.metadata!.name! });
  const target = o.targetPod;
  const owner = status.owner;
  const ours = target && ownedBy(target, o.migration) && isAlive(target) ? target : undefined;
  // rolled back: a restored pod whose source still runs (not one its ReplicaSet adopted), and a
  // StatefulSet's restored pod that failed (the StatefulSet starts the pod afresh)
  const rollback =
    ours &&
    status.phase !== 'Done' &&
    (owner?.kind === 'StatefulSet'
      ? status.phase === 'Failed'
      : isAlive(o.pod) && !(owner?.kind === 'ReplicaSet' && isAdopted(ours, owner)));
  if (rollback) {
    actions.push({
      type: 'deletePod',
      name: ours.metadata!.name!,
      uid: ours.metadata!.uid!,
      why: 'rollback',
    });
  }
  // a ReplicaSet's source that stays loses the lowest deletion cost the handover gave it
  if (
    status.phase !== 'Done' &&
    owner?.kind === 'ReplicaSet' &&
    isAlive(o.pod) &&
    markedFirstToGo(o.pod)
  ) {
    actions.push({
      type: 'patchPod',
      name: o.pod.metadata!.name!,
      uid: o.pod.metadata!.uid!,
      why: 'unmark',
      annotations: { [DELETION_COST]: null },
    });
  }
  return actions;
}
