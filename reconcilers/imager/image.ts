/**
 * The JSON documents of a checkpoint image: config, manifest and index. Pure functions of
 * their inputs, so the same archive always gives the same digests.
 */
import { mediaTypes, sha256Digest } from '../registry/client.ts';
import { crioCheckpointAnnotation } from './annotations.ts';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

/** The single layer: the archive, compressed or not; `diffId` is its uncompressed digest. */
export interface LayerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  diffId: string;
}

export interface ImageInputs {
  container: string;
  layer: LayerDescriptor;
  arch: string;
  /** RFC 3339, when known (the checkpoint time), for the config's `created`. */
  created?: string;
  /** `org.criu.checkpoint.*` metadata, set on both the manifest and the index. */
  checkpointAnnotations: Record<string, string>;
}

export interface ImageDocuments {
  config: { descriptor: Descriptor; body: Buffer };
  manifest: { descriptor: Descriptor; body: Buffer };
  index: { descriptor: Descriptor; body: Buffer };
}

function document(mediaType: string, value: unknown): { descriptor: Descriptor; body: Buffer } {
  const body = Buffer.from(JSON.stringify(value));
  return { descriptor: { mediaType, digest: sha256Digest(body), size: body.length }, body };
}

/** Builds the config, the manifest (CRI-O marker) and the index (containerd marker). */
export function buildImageDocuments(inputs: ImageInputs): ImageDocuments {
  const { layer, arch } = inputs;
  const config = document(mediaTypes.config, {
    ...(inputs.created ? { created: inputs.created } : {}),
    architecture: arch,
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
  });
  const manifest = document(mediaTypes.manifest, {
    schemaVersion: 2,
    mediaType: mediaTypes.manifest,
    config: config.descriptor,
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    annotations: { [crioCheckpointAnnotation]: inputs.container, ...inputs.checkpointAnnotations },
  });
  const index = document(mediaTypes.index, {
    schemaVersion: 2,
    mediaType: mediaTypes.index,
    manifests: [{ ...manifest.descriptor, platform: { architecture: arch, os: 'linux' } }],
    annotations: inputs.checkpointAnnotations,
  });
  return { config, manifest, index };
}
