/**
 * Imaging: a Job on the source node deletes the archives of checkpoint calls whose answer was
 * lost, then turns each recorded archive into an image and pushes it; the digest
 * its pods report is recorded only after the registry confirms it, because the source may be
 * deleted as soon as the images exist. The Job retries by itself (backoffLimit); when it gives
 * up, or its pod cannot start (an image it cannot pull, past the pull grace), the Migration
 * fails and the source is left untouched.
 */
import type { MigrationStatus } from '../../api/types.ts';
import type { Decision, MigrationConfig, Observed } from '../model.ts';
import { sweepContainer } from '../archive-cleanup.ts';
import { stuckContainer } from '../container-state.ts';
import { imagingJob, newestFirst, reportedFailure } from '../imaging-job.ts';
import { archivesOf, imageOf, repositoryOf, withImage } from '../images.ts';
import { jobIs } from '../pods.ts';
import { enter, fail } from '../status.ts';

export function imaging(
  o: Observed,
  status: MigrationStatus,
  now: Date,
  cfg: MigrationConfig,
): Decision {
  const m = o.migration;
  const repository = repositoryOf(m, cfg);
  if (!repository) {
    const msg = 'no image repository: set spec.image.repository or the operator default registry';
    fail(m, status, 'NoRepository', msg, now);
    return { status, actions: [] };
  }
  let problem: Decision['problem'];
  for (const a of archivesOf(status).filter((a) => !imageOf(status, a.container))) {
    const check = o.images[a.container];
    if (!check) continue;
    const { ref } = check;
    if (check.found) withImage(status, a.container, ref);
    else if (check.unreachable) {
      problem = {
        reason: 'RegistryUnreachable',
        message: `cannot verify image "${ref}": ${check.unreachable}`,
      };
    } else {
      fail(
        m,
        status,
        'ImageNotInRegistry',
        `image "${ref}" was reported pushed but the registry does not have it`,
        now,
      );
      return { status, actions: [] };
    }
  }
  if (archivesOf(status).every((a) => imageOf(status, a.container))) {
    enter(m, status, 'Restoring', now);
    return { status, actions: [], requeueAfterMs: 0 };
  }
  if (!o.job) {
    const sweep = sweepContainer(m, status, now, cfg);
    const job = imagingJob(m, status.sourceNode!, archivesOf(status), repository, cfg, sweep);
    return { status, actions: [{ type: 'createJob', job }], requeueAfterMs: cfg.eventPollMs };
  }
  if (jobIs(o.job, 'Failed')) {
    const cause = reportedFailure(o.jobPods) ?? 'the imaging Job failed';
    fail(m, status, 'ImagingFailed', `cannot build or push the checkpoint image: ${cause}`, now);
    return { status, actions: [] };
  }
  // a pod that cannot start (its image not pulled, say) is shown, and ends the Migration once
  // waiting cannot help: the Job would wait for ever
  const pod = newestFirst(o.jobPods)[0];
  const stuck = pod && stuckContainer(pod, now, cfg.pullGraceMs);
  if (stuck?.hopeless) {
    const msg = `imaging pod "${pod!.metadata?.name}" cannot run: ${stuck.message}`;
    fail(m, status, 'ImagingFailed', msg, now);
    return { status, actions: [] };
  }
  if (stuck && !problem) {
    const message = `imaging pod "${pod!.metadata?.name}": ${stuck.message}`;
    problem = { reason: 'ImagingPodNotRunning', message };
  }
  return { status, actions: [], requeueAfterMs: problem ? cfg.pollMs : cfg.eventPollMs, problem };
}
