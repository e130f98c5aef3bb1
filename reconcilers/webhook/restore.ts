/**
 * The restore webhook's answer, a pure function: a pod a StatefulSet creates under the name of a
 * pod whose Migration is Restoring (its source already deleted: restoring-in-place.ts) is
 * patched into the restored pod — on the target, from the checkpoint images, with the base-image
 * init containers, the pull Secrets and the Migration's label and annotation — keeping what the
 * StatefulSet and the API server gave it (name, owner, labels, hostname, its token volume).
 * Every other pod is left as it is, and so is one whose restore the nodes cannot take any more
 * (the StatefulSet's pod then runs afresh and its Migration fails: RestoreNotIntercepted).
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { EdgeNode, Migration } from '../api/types.ts';
import { controllerOf } from '../migration/pods.ts';
import type { RestoreNodes } from '../migration/model.ts';
import { restoredPod, type RestoreConfig } from '../migration/restored-pod.ts';
import { placementOf } from '../migration/target-pod.ts';

export interface RestoreFacts {
  /** The pod being created (its namespace filled in from the request). */
  pod: V1Pod;
  /** The Migrations of its namespace. */
  migrations: Migration[];
  /** The source node of the Migration and the EdgeNodes, for its placement. */
  sourceNode?: V1Node;
  edgeNodes: EdgeNode[];
  /** The nodes, and those where the restore wrapper is ready. */
  restoreNodes: RestoreNodes;
  cfg: RestoreConfig;
}

/** The Migration restoring the pod being created, if any. */
export function restoringMigration(pod: V1Pod, migrations: Migration[]): Migration | undefined {
  const owner = pod.metadata && controllerOf(pod);
  return migrations.find(
    (m) =>
      m.spec.podName === pod.metadata?.name &&
      m.status?.phase === 'Restoring' &&
      m.status.owner?.kind === 'StatefulSet' &&
      m.status.owner.uid === owner?.uid &&
      !m.metadata.deletionTimestamp,
  );
}

/** The JSON patch that makes the pod the restored one, or undefined to leave it be. */
export function restorePatch(f: RestoreFacts): object[] | undefined {
  const m = restoringMigration(f.pod, f.migrations);
  if (!m) return undefined;
  const status = m.status!;
  // as Restoring chose it before the source went
  const chosen = status.restoreMode
    ? { ...m, spec: { ...m.spec, restoreMode: status.restoreMode } }
    : m;
  const placement = placementOf(m, f.sourceNode, f.edgeNodes);
  const made = restoredPod(chosen, status, f.pod, placement, f.restoreNodes, f.cfg, {
    name: f.pod.metadata!.name!,
    admitting: true,
  });
  if ('refused' in made) return undefined;
  const restored = made.pod;
  return [
    { op: 'replace', path: '/spec', value: restored.spec },
    { op: 'add', path: '/metadata/labels', value: restored.metadata!.labels },
    { op: 'add', path: '/metadata/annotations', value: restored.metadata!.annotations },
  ];
}
