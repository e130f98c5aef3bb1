/**
 * The restore webhook's answer, a pure function: a pod a StatefulSet creates under the name of a
 * pod whose Migration is Restoring (its source already deleted: restoring-in-place.ts) is
 * patched into the restored pod — on the target, from the checkpoint images, with the base-image
 * init containers, the pull Secrets and the Migration's label and annotation — keeping what the
 * StatefulSet and the API server gave it (name, owner, labels, hostname, its token volume).
 * Every other pod is left as it is.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { EdgeNode, Migration } from '../api/types.ts';
import { archivesOf, imageOf } from '../migration/images.ts';
import type { MigrationConfig } from '../migration/model.ts';
import { controllerOf } from '../migration/pods.ts';
import { placementOf, targetPod } from '../migration/target-pod.ts';

export interface RestoreFacts {
  /** The pod being created (its namespace filled in from the request). */
  pod: V1Pod;
  /** The Migrations of its namespace. */
  migrations: Migration[];
  /** The source node of the Migration and the EdgeNodes, for its placement. */
  sourceNode?: V1Node;
  edgeNodes: EdgeNode[];
  cfg: Pick<MigrationConfig, 'defaultPullSecret' | 'imagerImage' | 'imagePullSecret'>;
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
  const images = Object.fromEntries(
    archivesOf(status).map((a) => [a.container, imageOf(status, a.container)!]),
  );
  const restored = targetPod(m, f.pod, placementOf(m, f.sourceNode, f.edgeNodes), images, {
    defaultPullSecret: f.cfg.defaultPullSecret,
    tools: { image: f.cfg.imagerImage, pullSecret: f.cfg.imagePullSecret },
    name: f.pod.metadata!.name!,
    admitting: true,
  });
  return [
    { op: 'replace', path: '/spec', value: restored.spec },
    { op: 'add', path: '/metadata/labels', value: restored.metadata!.labels },
    { op: 'add', path: '/metadata/annotations', value: restored.metadata!.annotations },
  ];
}
