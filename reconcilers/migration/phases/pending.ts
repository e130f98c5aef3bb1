/**
 * Pending: checks that the pod can be migrated, then records the source node. A pod of a
 * ReplicaSet records it (owner.ts: the ReplicaSet takes the restored pod over); a pod of any
 * other controller, or of a Deployment rolling out, or with a volume whose contents stay on the
 * node (volumes.ts, unless spec.volumes is Detach), fails fast and is never touched; a pod
 * already under an older active Migration, or one under way, or of a ReplicaSet or StatefulSet
 * already moving spec.maxUnavailablePerOwner (absent: 1) other pods, fails this one with
 * AlreadyMigrating (the trigger creates none beyond its policy's limit, which it copies there).
 * A checkpoint no target node could restore the way spec.restoreMode asks (restore-mode.ts) is
 * not taken: RestoreUnsupported.
 */
import {
  DEFAULT_MAX_UNAVAILABLE_PER_OWNER,
  type Migration,
  type MigrationStatus,
} from '../../api/types.ts';
import type { Decision, MigrationConfig, Observed } from '../model.ts';
import { TERMINAL } from '../model.ts';
import { movingWith, ownerOf } from '../owner.ts';
import { controllerOf, wantedContainers } from '../pods.ts';
import { volumeThatStays } from '../volumes.ts';
import { restoreModeOf } from '../restore-mode.ts';
import { createdAt, enter, fail } from '../status.ts';

export function pending(
  o: Observed,
  status: MigrationStatus,
  now: Date,
  cfg: MigrationConfig,
): Decision {
  const m = o.migration;
  const pod = o.pod!; // the guard failed the Migration when the pod is gone
  const name = `pod "${m.spec.podName}"`;
  enter(m, status, 'Pending', now);

  if (controllerOf(pod)) {
    const checked = ownerOf(pod, o.owner);
    if (!('owner' in checked)) {
      fail(m, status, checked.reason, checked.message, now);
      return { status, actions: [] };
    }
    // at most this many extra replicas of a ReplicaSet, or pods of a StatefulSet away, at once
    const limit = m.spec.maxUnavailablePerOwner ?? DEFAULT_MAX_UNAVAILABLE_PER_OWNER;
    const moving = movingWith(checked.owner, m, o.ownerMigrations);
    if (moving.length >= limit) {
      const names = moving.map((b) => `"${b.metadata.name}"`).join(', ');
      const pods =
        moving.length === 1
          ? `a pod (Migration ${names})`
          : `${moving.length} pods (Migrations ${names})`;
      const msg =
        `${checked.owner.kind} "${checked.owner.name}" is already moving ${pods}; ` +
        `spec.maxUnavailablePerOwner is ${limit}`;
      fail(m, status, 'AlreadyMigrating', msg, now);
      return { status, actions: [] };
    }
    status.owner = checked.owner;
  }
  const stays = m.spec.volumes === 'Detach' ? undefined : volumeThatStays(pod);
  if (stays) {
    const msg =
      `${name} has volume "${stays.name}" (${stays.kind}), whose contents stay on the node: a ` +
      "checkpoint holds the containers' memory and writable layer, not their volumes " +
      '(spec.volumes: Detach gives the restored pod an empty one instead)';
    fail(m, status, 'VolumeNotMovable', msg, now);
    return { status, actions: [] };
  }
  // The older one goes ahead; one already under way goes ahead whatever its age (two
  // Migrations created within the same second, or one this pass's cache saw late).
  const rival = o.siblings.find(
    (s) => isActive(s) && (isOlder(s, m) || (s.status?.phase ?? 'Pending') !== 'Pending'),
  );
  if (rival) {
    const msg = `${name} is already being migrated by Migration "${rival.metadata.name}"`;
    fail(m, status, 'AlreadyMigrating', msg, now);
    return { status, actions: [] };
  }
  const present = new Set(pod.spec?.containers.map((c) => c.name));
  const unknown = wantedContainers(m, pod).filter((c) => !present.has(c));
  if (unknown.length) {
    fail(m, status, 'ContainerNotFound', `${name} has no container "${unknown.join('", "')}"`, now);
    return { status, actions: [] };
  }
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    fail(m, status, 'PodNotRunning', `${name} has terminated (${phase})`, now);
    return { status, actions: [] };
  }
  if (phase !== 'Running' || !pod.spec?.nodeName) {
    return { status, actions: [], requeueAfterMs: cfg.pollMs };
  }
  if (!o.node) {
    fail(m, status, 'SourceNodeGone', `node "${pod.spec.nodeName}" of ${name} does not exist`, now);
    return { status, actions: [] };
  }
  if (m.spec.restorePolicy === 'checkpoint') {
    // asked again when the restored pod is made: a wrapper may get ready, or go, meanwhile
    const choice = restoreModeOf(o, pod, cfg);
    if ('refused' in choice) {
      fail(m, status, 'RestoreUnsupported', choice.refused, now);
      return { status, actions: [] };
    }
  }
  status.sourceNode = pod.spec.nodeName;
  status.sourcePodUID = pod.metadata?.uid;
  enter(m, status, m.spec.restorePolicy === 'restart' ? 'Restoring' : 'Checkpointing', now);
  return { status, actions: [], requeueAfterMs: 0 };
}

function isActive(s: Migration): boolean {
  return !s.metadata.deletionTimestamp && !TERMINAL.includes(s.status?.phase ?? 'Pending');
}

/** Creation order, ties broken by name: exactly one of two rivals is older. */
function isOlder(a: Migration, b: Migration): boolean {
  const d = createdAt(a).getTime() - createdAt(b).getTime();
  return d !== 0 ? d < 0 : (a.metadata.name ?? '') < (b.metadata.name ?? '');
}
