/**
 * Restoring a StatefulSet's pod, which keeps its name (its identity: hostname, ordinal, labels):
 * the source goes first (a checkpointed one with a 1 s grace period); the StatefulSet re-creates
 * the pod under that name, and the operator's restore webhook (webhook/restore.ts) makes that
 * pod the restored one — on the target, from the checkpoint images, annotated with this
 * Migration. Done once it is Ready. The restore mode is chosen (and a refusal fails the
 * Migration, RestoreUnsupported) before the source goes, and recorded for the webhook.
 *
 * The pod is down from the source's deletion until the restored container runs. A re-created
 * pod the webhook did not restore (its failurePolicy is Ignore: a replica that died while
 * answering, or the webhook down) is deleted once, at once, so that the StatefulSet creates it
 * again through the webhook; a second one runs afresh where the scheduler put it: the
 * Migration fails (RestoreNotIntercepted), the workload runs. A
 * restored pod that cannot run fails the Migration and is deleted: the StatefulSet then starts
 * it afresh (the webhook leaves the pods of ended Migrations alone).
 */
import type { MigrationStatus } from '../../api/types.ts';
import type { Decision, MigrationConfig, Observed } from '../model.ts';
import { restoredPodState } from '../container-state.ts';
import { archivesOf } from '../images.ts';
import { restoreModeOf } from '../restore-mode.ts';
import { isAlive, isReady, ownedBy, sourceCutover } from '../pods.ts';
import { enter, fail } from '../status.ts';

export function restoringInPlace(
  o: Observed,
  status: MigrationStatus,
  now: Date,
  cfg: MigrationConfig,
): Decision {
  const m = o.migration;
  const name = m.spec.podName;
  status.targetPod = name;
  if (isAlive(o.pod)) {
    // the webhook restores as chosen here, before the source goes
    if (!status.restoreMode && archivesOf(status).length) {
      const choice = restoreModeOf(o, o.pod, cfg);
      if ('refused' in choice) {
        fail(m, status, 'RestoreUnsupported', choice.refused, now);
        return { status, actions: [] };
      }
      status.restoreMode = choice.mode;
    }
    return { status, actions: [sourceCutover(m, o.pod)], requeueAfterMs: cfg.pollMs };
  }
  const pod = o.targetPod;
  // the source still going, or the StatefulSet not there yet
  if (!pod || pod.metadata?.uid === status.sourcePodUID) {
    return { status, actions: [], requeueAfterMs: cfg.pollMs };
  }
  if (!ownedBy(pod, m)) {
    // the one deleted below, going: the StatefulSet creates the pod again
    if (!isAlive(pod)) return { status, actions: [], requeueAfterMs: cfg.pollMs };
    if (!status.interceptRetries) {
      status.interceptRetries = 1;
      const uid = pod.metadata!.uid!;
      return {
        status,
        actions: [{ type: 'deletePod', name, uid, why: 'reintercept', gracePeriodSeconds: 0 }],
        requeueAfterMs: cfg.pollMs,
      };
    }
    fail(
      m,
      status,
      'RestoreNotIntercepted',
      `the StatefulSet re-created pod "${name}" twice without the restore (the restore webhook did not answer): it runs afresh, its memory state is lost`,
      now,
    );
    return { status, actions: [] };
  }
  if (pod.spec?.nodeName) status.targetNode = pod.spec.nodeName;
  const stuck = isAlive(pod)
    ? restoredPodState(pod, now, cfg.pullGraceMs, o.sandboxErrors[pod.metadata!.uid!])
    : undefined;
  if (stuck?.hopeless) {
    const msg = `restored pod "${name}" cannot run: ${stuck.message}; the StatefulSet starts it afresh`;
    fail(m, status, 'TargetFailed', msg, now);
    return { status, actions: [] };
  }
  if (isReady(pod)) {
    enter(m, status, 'Done', now);
    return { status, actions: [] };
  }
  const problem = stuck && {
    reason: 'TargetNotRunning',
    message: `restored pod "${name}": ${stuck.message}`,
  };
  return { status, actions: [], requeueAfterMs: cfg.eventPollMs, ...(problem ? { problem } : {}) };
}
