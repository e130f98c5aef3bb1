/**
 * Publishes a checkpoint image: the layer (streamed from the archive, unless an earlier run
 * recorded it and the registry holds it), the config, the manifest by digest, then the index
 * at the tag; then reads the index back by digest, so that success means the image can be
 * pulled by digest.
 */
import { mediaTypes, type RegistryClient } from '../registry/client.ts';
import {
  buildImageDocuments,
  type ImageDocuments,
  type ImageInputs,
  type LayerDescriptor,
} from './image.ts';
import type { LayerSource } from './layer.ts';

/**
 * Remembers the layer of an archive between runs (layer-record.ts). `recall` answers only for
 * the same archive, unchanged; `remember` is best effort and never throws.
 */
export interface LayerMemo {
  recall(): Promise<LayerDescriptor | undefined>;
  remember(layer: LayerDescriptor): Promise<void>;
}

export interface PushInputs extends Omit<ImageInputs, 'layer'> {
  client: RegistryClient;
  tag: string;
  layer: LayerSource;
  chunkSize?: number;
  log: (message: string) => void;
  memo?: LayerMemo;
}

/**
 * Uploads the layer of the archive; returns the layer descriptor with its diff_id.
 * `whileCommitting` runs as soon as the descriptor is known (the last byte read), alongside the
 * end of the upload and its commit.
 */
export async function uploadLayer(
  client: RegistryClient,
  layer: LayerSource,
  chunkSize: number,
  log: (m: string) => void,
  whileCommitting: (layer: LayerDescriptor) => Promise<void>,
): Promise<LayerDescriptor> {
  const describe = (blob: { digest: string; size: number }): LayerDescriptor => ({
    mediaType: layer.mediaType,
    ...blob,
    diffId: layer.diffId() ?? blob.digest,
  });
  const blob = await client.uploadBlob(layer, {
    chunkSize,
    onResume: (offset, cause) =>
      log(`upload interrupted (${(cause as Error).message}); continuing from byte ${offset}`),
    whileCommitting: (sent) => whileCommitting(describe(sent)),
  });
  return describe(blob);
}

/**
 * The layer recorded by an earlier run if the registry holds it, else the uploaded one, with
 * the recording of the latter (under way while the rest of the image is pushed). `named`
 * (what names the layer) is pushed as soon as the layer's descriptor is known.
 */
async function pushLayer(
  inputs: PushInputs,
  named: (layer: LayerDescriptor) => Promise<void>,
): Promise<{ layer: LayerDescriptor; recorded: Promise<void> }> {
  const { client, log, memo } = inputs;
  const recalled = await memo?.recall();
  if (recalled && (await client.blobExists(recalled.digest))) {
    log(`layer ${recalled.digest} is in the registry already (recorded by an earlier run)`);
    await named(recalled);
    return { layer: recalled, recorded: Promise.resolve() };
  }
  const layer = await uploadLayer(client, inputs.layer, inputs.chunkSize ?? 0, log, named);
  log(`layer ${layer.digest} uploaded (${layer.size} bytes)`);
  return { layer, recorded: memo?.remember(layer) ?? Promise.resolve() };
}

/** Pushes the image and verifies it; returns the documents (the index digest names the image). */
export async function pushCheckpointImage(inputs: PushInputs): Promise<ImageDocuments> {
  const { client, tag } = inputs;
  const documents = (layer: LayerDescriptor) => buildImageDocuments({ ...inputs, layer });
  // The config names the layer's digest: its upload is opened while the layer uploads, and
  // it is sent as soon as the layer's last byte is read, while the registry still takes the
  // layer (a failure to open shows again when it is sent).
  const configUpload = client.openUpload().catch(() => undefined);
  const pushConfig = async (layer: LayerDescriptor) => {
    await client.pushBlob(documents(layer).config.body, await configUpload);
  };
  const { layer, recorded } = await pushLayer(inputs, pushConfig);
  const docs = documents(layer);
  await client.putManifest(
    docs.manifest.descriptor.digest,
    mediaTypes.manifest,
    docs.manifest.body,
  );
  await client.putManifest(tag, mediaTypes.index, docs.index.body);
  // Each PUT was checked against the digest the registry reports (docker-registry also
  // refuses a manifest naming a missing blob or manifest). Reading the index back by digest
  // checks what a node pulling `repo@digest` relies on: it is served, and it is these bytes.
  await Promise.all([client.verifyManifest(docs.index.descriptor.digest), recorded]);
  return docs;
}
