/**
 * How a checkpoint is restored (spec.restoreMode), decided when the restored pod is composed:
 *  - RuntimeClass: continuum's runc wrapper restores. Only nodes where the wrapper is ready (a
 *    Ready pod of the restore installer runs there) can take the pod, so the pod is pinned to
 *    those of its candidate nodes.
 *  - Runtime: the container runtime restores a checkpoint image itself — which containerd 2.4
 *    no longer does, so candidates that all run it are refused rather than tried.
 *  - Auto: RuntimeClass when a candidate has the wrapper, else Runtime.
 * Candidates are the nodes the placement names or selects that the pod may be scheduled on
 * (not cordoned, every NoSchedule/NoExecute taint tolerated by the source pod).
 */
import type { V1Node, V1Pod, V1Taint, V1Toleration } from '@kubernetes/client-node';
import type { Migration, RestoreMode } from '../api/types.ts';
import type { MigrationConfig, Observed, RestoreNodes } from './model.ts';
import { placementOf, type Placement } from './target-pod.ts';

export type ModeChoice =
  { mode: 'RuntimeClass'; nodes: string[] } | { mode: 'Runtime' } | { refused: string };

function tolerates(tolerations: V1Toleration[], taint: V1Taint): boolean {
  return tolerations.some(
    (t) =>
      (t.operator === 'Exists'
        ? !t.key || t.key === taint.key
        : t.key === taint.key && (t.value ?? '') === (taint.value ?? '')) &&
      (!t.effect || t.effect === taint.effect),
  );
}

/** The nodes `placement` allows that `pod` may be scheduled on. */
export function candidateNodes(placement: Placement, pod: V1Pod, nodes: V1Node[]): V1Node[] {
  const tolerations = pod.spec?.tolerations ?? [];
  return nodes.filter((n) => {
    const labels = n.metadata?.labels ?? {};
    const placed =
      'nodeName' in placement
        ? n.metadata?.name === placement.nodeName
        : Object.entries(placement.nodeSelector).every(([k, v]) => labels[k] === v);
    const blocking = (n.spec?.taints ?? []).filter((t) => t.effect !== 'PreferNoSchedule');
    return placed && !n.spec?.unschedulable && blocking.every((t) => tolerates(tolerations, t));
  });
}

/** containerd 2.4 and later: no restore of checkpoint images (CreateContainer). */
function runtimeCannotRestore(node: V1Node): boolean {
  const version = node.status?.nodeInfo?.containerRuntimeVersion ?? '';
  const match = /^containerd:\/\/v?(\d+)\.(\d+)/.exec(version);
  return !!match && (Number(match[1]) > 2 || (Number(match[1]) === 2 && Number(match[2]) >= 4));
}

export function chooseRestoreMode(
  m: Migration,
  source: V1Pod,
  placement: Placement,
  known: RestoreNodes,
  signing: boolean,
): ModeChoice {
  const wanted: RestoreMode = m.spec.restoreMode ?? 'Auto';
  const candidates = candidateNodes(placement, source, known.nodes);
  const wrapped = candidates.map((n) => n.metadata!.name!).filter((n) => known.wrapper.has(n));
  const where =
    'nodeName' in placement
      ? `node "${placement.nodeName}"`
      : `the nodes selected by ${Object.entries(placement.nodeSelector)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}`;
  if (wanted !== 'Runtime' && wrapped.length) {
    if (!signing)
      return {
        refused: 'the operator has no restore key (Secret continuum-restore-key): see its log',
      };
    return { mode: 'RuntimeClass', nodes: wrapped };
  }
  if (wanted === 'RuntimeClass')
    return {
      refused: `none of ${where} that the pod may run on has continuum's restore wrapper ready (restore installer DaemonSet)`,
    };
  if (candidates.length && candidates.every(runtimeCannotRestore))
    return {
      refused: `the container runtime of ${where} (${candidates[0]!.status!.nodeInfo!.containerRuntimeVersion}) no longer restores checkpoint images and no restore wrapper is ready there: install it (restore.installer) or use restoreMode RuntimeClass`,
    };
  return { mode: 'Runtime' };
}

/** {@link chooseRestoreMode} for the Migration observed, restoring `source` where it is placed. */
export function restoreModeOf(o: Observed, source: V1Pod, cfg: MigrationConfig): ModeChoice {
  const placement = placementOf(o.migration, o.node, o.edgeNodes);
  return chooseRestoreMode(o.migration, source, placement, o.restoreNodes, !!cfg.restore.signer);
}
