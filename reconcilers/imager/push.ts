/**
 * Publishes a checkpoint image: the layer (streamed from the archive), the config, the
 * manifest by digest, then the index at the tag; then reads the tag and both digests back
 * from the registry, so that success means the image can be pulled by digest.
 */
import { RegistryError } from '../registry/errors.ts';
import { mediaTypes, type RegistryClient } from '../registry/client.ts';
import { buildImageDocuments, type ImageDocuments, type ImageInputs } from './image.ts';
import type { LayerSource } from './layer.ts';

export interface PushInputs extends Omit<ImageInputs, 'layer'> {
  client: RegistryClient;
  tag: string;
  layer: LayerSource;
  chunkSize?: number;
  log: (message: string) => void;
}

/** Uploads the layer of the archive; returns the layer descriptor with its diff_id. */
export async function uploadLayer(
  client: RegistryClient,
  layer: LayerSource,
  chunkSize: number,
  log: (m: string) => void,
): Promise<ImageInputs['layer']> {
  const blob = await client.uploadBlob(layer, {
    chunkSize,
    onResume: (offset, cause) =>
      log(`upload interrupted (${(cause as Error).message}); continuing from byte ${offset}`),
  });
  return { mediaType: layer.mediaType, ...blob, diffId: layer.diffId() ?? blob.digest };
}

/** Pushes the image and verifies it; returns the documents (the index digest names the image). */
export async function pushCheckpointImage(inputs: PushInputs): Promise<ImageDocuments> {
  const { client, tag, log } = inputs;
  const layer = await uploadLayer(client, inputs.layer, inputs.chunkSize ?? 0, log);
  log(`layer ${layer.digest} uploaded (${layer.size} bytes)`);
  const docs = buildImageDocuments({ ...inputs, layer });
  await client.pushBlob(docs.config.body);
  await client.putManifest(
    docs.manifest.descriptor.digest,
    mediaTypes.manifest,
    docs.manifest.body,
  );
  await client.putManifest(tag, mediaTypes.index, docs.index.body);
  await verify(client, tag, docs);
  return docs;
}

/**
 * Reads the image back: the tag must name the index, and the index and the manifest must be
 * retrievable by digest (what a node pulling `repo@digest` does). The config blob needs no
 * check: the registry refused the manifest if it referenced a missing blob.
 */
async function verify(client: RegistryClient, tag: string, docs: ImageDocuments): Promise<void> {
  const index = docs.index.descriptor.digest;
  const manifest = docs.manifest.descriptor.digest;
  const [tagged, indexFound, manifestFound] = await Promise.all([
    client.resolveDigest(tag),
    client.manifestExists(index),
    client.manifestExists(manifest),
  ]);
  if (tagged !== index) {
    throw new RegistryError(
      'digestMismatch',
      `verification failed: tag "${tag}" resolves to ${tagged ?? 'nothing'}, expected ${index}`,
    );
  }
  for (const [digest, found] of [
    [index, indexFound],
    [manifest, manifestFound],
  ] as const) {
    if (!found)
      throw new RegistryError('rejected', `verification failed: ${digest} is not in the registry`);
  }
}
