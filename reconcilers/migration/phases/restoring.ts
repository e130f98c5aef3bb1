/**
 * Restoring: creates the restored pod on the target, then stops the source according to
 * spec.cutover — for a verified checkpoint (`AfterCheckpoint`) as soon as the restored pod is
 * scheduled, or once it is Ready (`TargetReady`, and always for `restart`, which has no
 * checkpoint to fall back on). The restored pod exists before the source is deleted, so a
 * crash between the two never leaves the workload without a pod, and a restored pod that no
 * node takes leaves the source running (the deadline then rolls the Migration back).
 */
import type { MigrationStatus } from '../../api/types.ts';
import type { Action, Decision, MigrationConfig, Observed } from '../model.ts';
import { archivesOf, imageOf } from '../images.ts';
import { targetPodName } from '../names.ts';
import { isAlive, isReady, ownedBy } from '../pods.ts';
import { enter, fail } from '../status.ts';
import { placementOf, targetPod } from '../target-pod.ts';

export function restoring(
  o: Observed,
  status: MigrationStatus,
  now: Date,
  cfg: MigrationConfig,
): Decision {
  const m = o.migration;
  const name = targetPodName(m);
  status.targetPod = name;
  const actions: Action[] = [];
  if (o.job) actions.push({ type: 'deleteJob', name: o.job.metadata!.name! });
  const source = isAlive(o.pod) ? o.pod : undefined;
  const target = o.targetPod;

  if (target && !ownedBy(target, m)) {
    fail(
      m,
      status,
      'TargetPodConflict',
      `pod "${name}" exists and was not created by this Migration`,
      now,
    );
    return { status, actions };
  }
  if (!target) {
    // the guard has failed the Migration when neither pod exists
    const images = Object.fromEntries(
      archivesOf(status).map((a) => [a.container, imageOf(status, a.container)!]),
    );
    actions.push({
      type: 'createPod',
      pod: targetPod(
        m,
        source!,
        placementOf(m, o.node, o.edgeNodes),
        images,
        cfg.defaultPullSecret,
      ),
    });
  } else {
    if (target.spec?.nodeName) status.targetNode = target.spec.nodeName;
    if (target.status?.phase === 'Failed' || target.status?.phase === 'Succeeded') {
      const msg = `restored pod "${name}" terminated (${target.status.phase}) before it became Ready`;
      fail(m, status, 'TargetFailed', msg, now);
      return { status, actions };
    }
  }
  // A restored pod being deleted (a drained node) is neither Ready nor a place to cut over to.
  const alive = isAlive(target);
  const ready = alive && isReady(target);
  // AfterCheckpoint stops the source once the restored pod has a node: before its container
  // can run (the node pulls the checkpoint image first), and never for a pod no node takes.
  const placed = alive && Boolean(target.spec?.nodeName);
  const cutNow =
    ready || (m.spec.restorePolicy === 'checkpoint' && m.spec.cutover !== 'TargetReady' && placed);
  if (source && cutNow) {
    actions.push({
      type: 'deletePod',
      name: m.spec.podName,
      uid: source.metadata!.uid!,
      why: 'cutover',
    });
  }
  if (ready) {
    enter(m, status, 'Done', now);
    return { status, actions };
  }
  return { status, actions, requeueAfterMs: cfg.eventPollMs };
}
