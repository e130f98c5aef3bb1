/**
 * Pending: checks that the pod can be migrated, then records the source node. A pod owned by
 * a controller fails fast (its controller would fight the migration) and is never touched; a
 * pod already under an older active Migration, or one under way, fails this one with
 * AlreadyMigrating.
 */
import type { Migration, MigrationStatus } from '../../api/types.ts';
import type { Decision, MigrationConfig, Observed } from '../model.ts';
import { TERMINAL } from '../model.ts';
import { controllerOf, wantedContainers } from '../pods.ts';
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

  const owner = controllerOf(pod);
  if (owner) {
    const msg = `${name} is controlled by ${owner.kind} "${owner.name}"; only pods without a controller can be migrated`;
    fail(m, status, 'PodHasController', msg, now);
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
