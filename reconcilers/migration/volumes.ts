/**
 * Volumes whose contents stay on the node: a checkpoint holds the containers' memory and
 * writable layer, not their volumes, and a restored pod elsewhere would find them empty or not
 * at all. A pod with one is refused (VolumeNotMovable) unless the Migration says
 * `volumes: Detach`: then the restored pod gets an empty emptyDir in each one's place.
 */
import type { V1Pod, V1PodSpec } from '@kubernetes/client-node';

const STAYS = ['persistentVolumeClaim', 'hostPath', 'emptyDir', 'ephemeral'] as const;

/** The first volume of the pod that stays on the node, and its kind. */
export function volumeThatStays(pod: V1Pod): { name: string; kind: string } | undefined {
  for (const v of pod.spec?.volumes ?? []) {
    const kind = STAYS.find((k) => v[k] !== undefined);
    if (kind) return { name: v.name, kind };
  }
  return undefined;
}

/** Replaces every volume that stays on the node by an empty emptyDir of the same name. */
export function detachVolumes(spec: V1PodSpec): void {
  spec.volumes = spec.volumes?.map((v) =>
    STAYS.some((k) => v[k] !== undefined) ? { name: v.name, emptyDir: {} } : v,
  );
}
