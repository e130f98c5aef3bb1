/**
 * The restored pod as a pure function of the source: the same spec on a target node, with the
 * checkpoint image for each checkpointed container and the pull Secret; for a ReplicaSet's pod,
 * without the template hash until the ReplicaSet may take it over. What the API server or
 * the kubelet filled in (nodeName, status, the ServiceAccount token volume) and what pinned the
 * pod to its edge node (nodeSelector, node affinity) is not copied.
 */
import type { V1Node, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { pullBaseImagesFirst, withoutBaseImagePulls } from './base-image-pull.ts';
import { LAYER_LABEL, type EdgeNode, type Migration } from '../api/types.ts';
import { DELETION_COST, POD_TEMPLATE_HASH, type PodOwner } from './owner.ts';
import { detachVolumes } from './volumes.ts';
import { withoutWrapperRestore } from './wrapper-pod.ts';
import {
  fallbackPodName,
  MIGRATION_LABEL,
  MIGRATION_UID_ANNOTATION,
  SOURCE_IMAGES_ANNOTATION,
  targetPodName,
} from './names.ts';

/** Where the restored pod goes. */
export type Placement = { nodeName: string } | { nodeSelector: Record<string, string> };

/** The EdgeNode whose nodeSelector matches the node (the first by name), if any. */
export function edgeNodeOf(node: V1Node | undefined, edgeNodes: EdgeNode[]): EdgeNode | undefined {
  const labels = node?.metadata?.labels ?? {};
  return [...edgeNodes]
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .find((e) => Object.entries(e.spec.nodeSelector).every(([k, v]) => labels[k] === v));
}

/**
 * spec.target, else the cloudSelector of the EdgeNode whose nodeSelector matches the source
 * node (first by name), else every node labelled `continuum.dev/layer: cloud`.
 */
export function placementOf(
  m: Migration,
  sourceNode: V1Node | undefined,
  edgeNodes: EdgeNode[],
): Placement {
  const t = m.spec.target;
  if (t?.nodeName) return { nodeName: t.nodeName };
  if (t?.nodeSelector && Object.keys(t.nodeSelector).length)
    return { nodeSelector: t.nodeSelector };
  const site = edgeNodeOf(sourceNode, edgeNodes);
  if (site && Object.keys(site.spec.cloudSelector).length)
    return { nodeSelector: site.spec.cloudSelector };
  return { nodeSelector: { [LAYER_LABEL]: 'cloud' } };
}

export interface TargetPodOptions {
  defaultPullSecret?: string;
  name?: string;
  /** The product image and its pull Secret, for {@link pullBaseImagesFirst}. */
  tools?: { image: string; pullSecret?: string };
  /** The source's ReplicaSet: the pod starts without its template hash (owner.ts). */
  owner?: PodOwner;
  /**
   * `source` is the pod being admitted (a StatefulSet's re-creation, webhook/restore.ts): the
   * ServiceAccount token volume the API server just added is its own, and stays.
   */
  admitting?: boolean;
}

/**
 * The pod to create; `images` maps checkpointed container names to their image references (the
 * original ones are kept in an annotation, for {@link fallbackPod}).
 */
export function targetPod(
  m: Migration,
  source: V1Pod,
  placement: Placement,
  images: Record<string, string>,
  opts: TargetPodOptions = {},
): V1Pod {
  const spec = structuredClone(source.spec!) as V1PodSpec;
  delete spec.nodeName;
  delete spec.nodeSelector;
  delete spec.ephemeralContainers;
  if (spec.affinity?.nodeAffinity) delete spec.affinity.nodeAffinity;
  Object.assign(spec, placement);
  const injected = new Set(
    (opts.admitting ? [] : (spec.volumes ?? []))
      .filter((v) => v.name.startsWith('kube-api-access-'))
      .map((v) => v.name),
  );
  spec.volumes = spec.volumes?.filter((v) => !injected.has(v.name));
  if (m.spec.volumes === 'Detach') detachVolumes(spec);
  const replaced: Record<string, string> = {};
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    c.volumeMounts = c.volumeMounts?.filter((v) => !injected.has(v.name));
    const image = images[c.name];
    if (image && image !== c.image) {
      replaced[c.name] = c.image!;
      c.image = image;
    }
  }
  const pulls = [
    m.spec.image?.pullSecretRef?.name ??
      (Object.keys(images).length ? opts.defaultPullSecret : undefined),
  ];
  if (opts.tools && Object.keys(replaced).length) {
    pullBaseImagesFirst(spec, replaced, opts.tools.image);
    pulls.push(opts.tools.pullSecret);
  }
  for (const pull of pulls) {
    if (pull && !spec.imagePullSecrets?.some((s) => s.name === pull)) {
      spec.imagePullSecrets = [...(spec.imagePullSecrets ?? []), { name: pull }];
    }
  }
  const annotations = { ...source.metadata?.annotations };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  delete annotations[DELETION_COST];
  const labels = { ...source.metadata?.labels };
  if (opts.owner?.kind === 'ReplicaSet') delete labels[POD_TEMPLATE_HASH];
  delete annotations[SOURCE_IMAGES_ANNOTATION];
  if (Object.keys(replaced).length)
    annotations[SOURCE_IMAGES_ANNOTATION] = JSON.stringify(replaced);
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: opts.name ?? targetPodName(m),
      namespace: source.metadata?.namespace,
      labels: { ...labels, [MIGRATION_LABEL]: m.metadata.name! },
      annotations: { ...annotations, [MIGRATION_UID_ANNOTATION]: m.metadata.uid! },
    },
    spec,
  };
  // a source that was itself restored through the wrapper: its copy starts plain
  withoutWrapperRestore(pod);
  return pod;
}

/**
 * The pod that replaces a restored pod that cannot run from its checkpoint once the source is
 * gone: the same pod on the same node, each container with its original image (restart
 * semantics: the service comes back, the memory state does not).
 */
export function fallbackPod(m: Migration, restored: V1Pod, defaultPullSecret?: string): V1Pod {
  const original = JSON.parse(
    restored.metadata?.annotations?.[SOURCE_IMAGES_ANNOTATION] ?? '{}',
  ) as Record<string, string>;
  const placement = { nodeName: restored.spec!.nodeName! };
  const pod = targetPod(m, restored, placement, original, {
    defaultPullSecret,
    name: fallbackPodName(m),
  });
  delete pod.metadata!.annotations![SOURCE_IMAGES_ANNOTATION];
  withoutBaseImagePulls(pod.spec!);
  return pod;
}
