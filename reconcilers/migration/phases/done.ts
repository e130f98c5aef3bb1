/**
 * Done and Failed are terminal: a pass only removes leftovers (the imaging Job; after a
 * failure, a restored pod whose source still runs). Deleting the Migration runs the same
 * cleanup, starts a Job that deletes the archives still on the source node (when imaging had
 * not finished), then releases the finalizer.
 */
import type { MigrationStatus } from '../../api/types.ts';
import { FINALIZER } from '../../api/types.ts';
import type { Action, Decision, MigrationConfig, Observed } from '../model.ts';
import { cleanupJob } from '../imaging-job.ts';
import { archivesOf, imageOf } from '../images.ts';
import { isAlive, jobIs, ownedBy } from '../pods.ts';

/** Cleanup of a Migration that has ended. */
export function terminal(o: Observed, status: MigrationStatus): Decision {
  return { status, actions: leftovers(o, status) };
}

/** Cleanup of a Migration being deleted, whatever its phase; the finalizer goes last. */
export function finalize(o: Observed, status: MigrationStatus, cfg: MigrationConfig): Decision {
  const m = o.migration;
  const actions = leftovers(o, status);
  // the imager deletes an archive once its image is pushed; any other archive is still there
  const imaged = o.job !== undefined && jobIs(o.job, 'Complete');
  const left = archivesOf(status).filter((a) => !imageOf(status, a.container));
  if (!imaged && left.length && status.sourceNode) {
    const paths = left.map((a) => a.path);
    actions.push({ type: 'createJob', job: cleanupJob(m, status.sourceNode, paths, cfg) });
  }
  if (m.metadata.finalizers?.includes(FINALIZER)) actions.push({ type: 'removeFinalizer' });
  return { status, actions };
}

/**
 * The imaging Job, and a restored pod that duplicates a source still running (unless the
 * Migration is Done: then the restored pod is the workload).
 */
function leftovers(o: Observed, status: MigrationStatus): Action[] {
  const actions: Action[] = [];
  if (o.job) actions.push({ type: 'deleteJob', name: o.job.metadata!.name! });
  const target = o.targetPod;
  if (
    status.phase !== 'Done' &&
    target &&
    ownedBy(target, o.migration) &&
    isAlive(o.pod) &&
    isAlive(target)
  ) {
    actions.push({
      type: 'deletePod',
      name: target.metadata!.name!,
      uid: target.metadata!.uid!,
      why: 'rollback',
    });
  }
  return actions;
}
