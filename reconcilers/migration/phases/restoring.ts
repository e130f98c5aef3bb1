/**
 * Restoring: creates the restored pod on the target, then stops the source according to
 * spec.cutover — for a verified checkpoint (`AfterCheckpoint`) as soon as the restored pod is
 * scheduled, or once it is Ready (`TargetReady`, and always for `restart`, which has no
 * checkpoint to fall back on). The restored pod exists before the source is deleted, so a
 * crash between the two never leaves the workload without a pod, and a restored pod that no
 * node takes leaves the source running (the deadline then rolls the Migration back).
 *
 * A restored pod that cannot run (target-state.ts: a restore the runtime refuses, a base image
 * it cannot pull, a crash loop) fails the Migration while the source runs (the restored pod is
 * removed), and once the source is gone is replaced by a fresh pod of the original images on
 * the same node: the workload is never lost, only its memory state (status.restoreFallback, a
 * Warning Event). A stuck container that may still recover is shown in Synced meanwhile.
 *
 * A ReplicaSet's pod (status.owner) is cut over by its ReplicaSet, once the restored pod is
 * Ready, whatever spec.cutover says (owner.ts): the source runs until then, so a restored pod
 * that cannot run fails the Migration and is removed. A StatefulSet's pod is restored in place
 * of its source (restoring-in-place.ts).
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { MigrationStatus } from '../../api/types.ts';
import type { Action, Decision, MigrationConfig, Observed } from '../model.ts';
import { targetPodName } from '../names.ts';
import { restoredPodState, type Stuck } from '../container-state.ts';
import {
  DELETION_COST,
  FIRST_TO_GO,
  POD_TEMPLATE_HASH,
  isAdopted,
  markedFirstToGo,
  type ReplicaSetOwner,
} from '../owner.ts';
import { restoringInPlace } from './restoring-in-place.ts';
import { isAlive, isReady, ownedBy, sourceCutover } from '../pods.ts';
import { enter, fail } from '../status.ts';
import { fallbackPod, placementOf } from '../target-pod.ts';
import { restoredPod } from '../restored-pod.ts';

export function restoring(
  o: Observed,
  status: MigrationStatus,
  now: Date,
  cfg: MigrationConfig,
): Decision {
  if (status.owner?.kind === 'StatefulSet') return restoringInPlace(o, status, now, cfg);
  const m = o.migration;
  const name = status.targetPod ?? targetPodName(m);
  status.targetPod = name;
  const actions: Action[] = [];
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
    const placement = placementOf(m, o.node, o.edgeNodes);
    const made = restoredPod(m, status, source!, placement, o.restoreNodes, cfg, {
      ...(status.owner ? { owner: status.owner } : {}),
    });
    if ('refused' in made) {
      fail(m, status, 'RestoreUnsupported', made.refused, now);
      return { status, actions };
    }
    if (made.mode) status.restoreMode = made.mode;
    actions.push({ type: 'createPod', pod: made.pod });
  } else {
    if (target.spec?.nodeName) status.targetNode = target.spec.nodeName;
    if (status.owner && isAdopted(target, status.owner)) return handedOver(o, status, now);
    const stuck = isAlive(target)
      ? restoredPodState(target, now, cfg.pullGraceMs, o.sandboxErrors[target.metadata!.uid!])
      : undefined;
    if (stuck?.hopeless) return cannotRun(o, target, stuck, status, actions, now, cfg);
    if (stuck) {
      const problem = {
        reason: 'TargetNotRunning',
        message: `restored pod "${name}": ${stuck.message}`,
      };
      return { status, actions, problem, requeueAfterMs: cfg.pollMs };
    }
  }
  // A restored pod being deleted (a drained node) is neither Ready nor a place to cut over to.
  const alive = isAlive(target);
  const ready = alive && isReady(target);
  // AfterCheckpoint stops the source once the restored pod has a node: before its container
  // can run (the node pulls the checkpoint image first), and never for a pod no node takes.
  const placed = alive && Boolean(target.spec?.nodeName);
  if (status.owner) {
    // a ReplicaSet's pod: its ReplicaSet takes the Ready restored pod over and drops the source
    if (ready) actions.push(...handover(source, target, status.owner));
    return { status, actions, requeueAfterMs: ready ? cfg.pollMs : cfg.eventPollMs };
  }
  const cutNow =
    ready || (m.spec.restorePolicy === 'checkpoint' && m.spec.cutover !== 'TargetReady' && placed);
  if (source && cutNow) actions.push(sourceCutover(m, source, ready));
  if (ready) {
    enter(m, status, 'Done', now);
    return { status, actions };
  }
  return { status, actions, requeueAfterMs: cfg.eventPollMs };
}

/**
 * The source gets the lowest deletion cost, then the restored pod the template hash: the
 * ReplicaSet adopts it and, one replica over, removes the source first.
 */
function handover(source: V1Pod | undefined, target: V1Pod, owner: ReplicaSetOwner): Action[] {
  const actions: Action[] = [];
  if (source && !markedFirstToGo(source)) {
    actions.push({
      type: 'patchPod',
      name: source.metadata!.name!,
      uid: source.metadata!.uid!,
      why: 'handover',
      annotations: { [DELETION_COST]: FIRST_TO_GO },
    });
  }
  if (target.metadata?.labels?.[POD_TEMPLATE_HASH] !== owner.podTemplateHash) {
    actions.push({
      type: 'patchPod',
      name: target.metadata!.name!,
      uid: target.metadata!.uid!,
      why: 'handover',
      labels: { [POD_TEMPLATE_HASH]: owner.podTemplateHash },
    });
  }
  return actions;
}

/**
 * The ReplicaSet owns the restored pod: Done. The source goes now if the ReplicaSet has not
 * removed it yet (with the second a checkpointed source gets, not its grace period).
 */
function handedOver(o: Observed, status: MigrationStatus, now: Date): Decision {
  enter(o.migration, status, 'Done', now);
  return { status, actions: isAlive(o.pod) ? [sourceCutover(o.migration, o.pod, true)] : [] };
}

/**
 * The restored pod cannot run: with the source still there the Migration fails (the restored pod
 * goes with it); without it, a fresh pod of the original images takes its place, once.
 */
function cannotRun(
  o: Observed,
  target: V1Pod,
  stuck: Stuck,
  status: MigrationStatus,
  actions: Action[],
  now: Date,
  cfg: MigrationConfig,
): Decision {
  const m = o.migration;
  const name = target.metadata!.name!;
  if (isAlive(o.pod) || status.restoreFallback || !target.spec?.nodeName) {
    fail(m, status, 'TargetFailed', `restored pod "${name}" cannot run: ${stuck.message}`, now);
    return { status, actions };
  }
  const fresh = fallbackPod(m, target, cfg.defaultPullSecret);
  status.restoreFallback = { reason: stuck.reason, message: stuck.message };
  status.targetPod = fresh.metadata!.name!;
  actions.push(
    { type: 'createPod', pod: fresh },
    { type: 'deletePod', name, uid: target.metadata!.uid!, why: 'fallback', cause: stuck.message },
  );
  return { status, actions, requeueAfterMs: cfg.pollMs };
}
