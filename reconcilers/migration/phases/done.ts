/**
 * Done and Failed are terminal: a pass only removes leftovers (an imaging Job still running;
 * after a failure, a restored pod whose source still runs, and the deletion cost a handover
 * gave a ReplicaSet's source). A finished imaging Job stays, with its pods' logs, until its TTL
 * (ttlSecondsAfterFinished). Done deletes the checkpoint images from the registry (unless
 * spec.image.retain), and the Migration itself goes once its own TTL is over. Deleting the
 * Migration removes it, runs the same cleanup, deletes the images of a Failed one, starts a Job
 * that deletes the archives still on the source node (when imaging had not finished: recorded
 * ones, and those of checkpoint calls whose answer was lost), then releases the finalizer.
 */
import type { V1Job } from '@kubernetes/client-node';
import type { Migration, MigrationStatus } from '../../api/types.ts';
import { FINALIZER, KEEP_UNTIL_ANNOTATION } from '../../api/types.ts';
import type { Action, Decision, MigrationConfig, Observed } from '../model.ts';
import { cleanupJob } from '../archive-cleanup.ts';
import { archivesOf, imageOf } from '../images.ts';
import { DELETION_COST, isAdopted, markedFirstToGo } from '../owner.ts';
import { isAlive, isReady, jobIs, ownedBy, wantedContainers } from '../pods.ts';

/** Condition type saying whether the checkpoint images were deleted from the registry. */
export const IMAGES_DELETED = 'ImagesDeleted';
/** setTimeout's limit is ~24.8 days: a longer TTL is looked at again after a day. */
const MAX_REQUEUE_MS = 86_400_000;

/**
 * Cleanup of a Migration that has ended. Done needs its imaging Job no more, and it has done its
 * work (the images are verified): it finishes by itself, even where the cached Job does not say
 * Complete yet. A Failed Migration stops a Job still running.
 */
export function terminal(
  o: Observed,
  status: MigrationStatus,
  now: Date,
  cfg: MigrationConfig,
): Decision {
  const running =
    status.phase === 'Failed' && o.job && !jobIs(o.job, 'Complete') && !jobIs(o.job, 'Failed');
  const actions = leftovers(o, status, running ? o.job : undefined);
  if (status.phase === 'Done') actions.push(...imageDeletion(o, status, false));
  const expires = expiry(o.migration, status, cfg);
  if (!expires) return { status, actions };
  if (now >= expires) return { status, actions: [...actions, { type: 'deleteMigration' }] };
  const requeueAfterMs = Math.min(expires.getTime() - now.getTime(), MAX_REQUEUE_MS);
  return { status, actions, requeueAfterMs };
}

/**
 * When a finished Migration is deleted: its TTL (spec, else the operator's default for Done or
 * Failed) after it finished, and never before the trigger's keep-until (the policy's cooldown
 * reads the Migration until then). Undefined: kept.
 */
export function expiry(
  m: Migration,
  status: MigrationStatus,
  cfg: MigrationConfig,
): Date | undefined {
  const phase = status.phase;
  const finished = phase && status.phaseTransitionTimestamps?.[phase];
  if (!finished || (phase !== 'Done' && phase !== 'Failed')) return undefined;
  const ttl =
    m.spec.ttlSecondsAfterFinished ??
    (phase === 'Done' ? cfg.ttl.doneSeconds : cfg.ttl.failedSeconds);
  if (ttl === undefined) return undefined;
  const keepUntil = Date.parse(m.metadata.annotations?.[KEEP_UNTIL_ANNOTATION] ?? '');
  return new Date(Math.max(Date.parse(finished) + ttl * 1000, keepUntil || 0));
}

/**
 * The checkpoint images to delete, unless retained, already dealt with (ImagesDeleted, whether
 * deleted or refused: never asked again) or still needed: a restored pod that is not Ready may
 * still pull or fetch its image. A Ready one has: its node keeps an image a container of an
 * existing pod uses, and a restart of a wrapper-restored container starts from the original
 * image. The fresh pod of a fallback never uses it.
 */
function imageDeletion(o: Observed, status: MigrationStatus, bestEffort: boolean): Action[] {
  if (o.migration.spec.image?.retain) return [];
  if (status.conditions?.some((c) => c.type === IMAGES_DELETED)) return [];
  const target = o.targetPod;
  const needed =
    !status.restoreFallback && target && ownedBy(target, o.migration) && isAlive(target);
  if (needed && !isReady(target)) return [];
  const refs = [
    ...new Set(
      [...archivesOf(status).map((a) => a.image), status.image].filter(
        (r): r is string => r !== undefined,
      ),
    ),
  ];
  return refs.length ? [{ type: 'deleteImages', refs, ...(bestEffort ? { bestEffort } : {}) }] : [];
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
  if (status.phase === 'Done' || status.phase === 'Failed') {
    actions.push(...imageDeletion(o, status, true));
  }
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
