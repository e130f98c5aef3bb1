/**
 * The restored pod pulls its checkpoints' base images through the kubelet. containerd 2.1–2.3
 * restores a checkpoint image by pulling the checkpoint's base image (the source container's
 * image) itself — anonymously and without the node's registry configuration — unless an image
 * of that reference is already on the node: a private registry answers 401, a private CA fails
 * x509 (both measured), and the restore fails. The kubelet pulls with the pod's pull Secrets, so
 * one init container per checkpointed container uses the original image first. It runs `true`
 * of a static busybox that an init container of the product image copies into an emptyDir
 * before: the original image may have no shell and no `true`. Each copies the resources of the
 * container it serves, so the pod keeps its QoS class.
 */
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';

export const TOOLS_VOLUME = 'continuum-tools';
const TOOLS_DIR = '/continuum-tools';
/** Where the product image has its static busybox. */
const BUSYBOX = '/bin/busybox';
const PREFIX = 'continuum-';

/**
 * Puts the base-image pulls in front of `spec`'s init containers. `originals` maps each
 * checkpointed container to its original image; `toolsImage` is the product image.
 */
export function pullBaseImagesFirst(
  spec: V1PodSpec,
  originals: Record<string, string>,
  toolsImage: string,
): void {
  const resourcesOf = (name: string) => spec.containers.find((c) => c.name === name)?.resources;
  const mount = { name: TOOLS_VOLUME, mountPath: TOOLS_DIR };
  const tools: V1Container = {
    name: `${PREFIX}tools`,
    image: toolsImage,
    command: [BUSYBOX, 'cp', BUSYBOX, `${TOOLS_DIR}/true`],
    volumeMounts: [mount],
    resources: resourcesOf(spec.containers[0]!.name),
  };
  const pulls = Object.entries(originals).map(([container, image]): V1Container => ({
    name: `${PREFIX}base-${container}`.slice(0, 63),
    image,
    command: [`${TOOLS_DIR}/true`],
    volumeMounts: [mount],
    resources: resourcesOf(container),
  }));
  spec.initContainers = [tools, ...pulls, ...(spec.initContainers ?? [])];
  spec.volumes = [...(spec.volumes ?? []), { name: TOOLS_VOLUME, emptyDir: {} }];
}

/** `spec` without what {@link pullBaseImagesFirst} added. */
export function withoutBaseImagePulls(spec: V1PodSpec): void {
  spec.initContainers = spec.initContainers?.filter(
    (c) => !(c.name.startsWith(PREFIX) && c.volumeMounts?.some((m) => m.name === TOOLS_VOLUME)),
  );
  spec.volumes = spec.volumes?.filter((v) => v.name !== TOOLS_VOLUME);
}
