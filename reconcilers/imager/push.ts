/**
 * Publishes a checkpoint image: the layer (streamed from the archive, unless an earlier run
 * recorded it and the registry holds it), the config, the manifest by digest, then the index
 * at the tag; then reads the index back by digest, so that success means the image can be
 * pulled by digest.
 */
import { mediaTypes, type RegistryClient } from '../registry/client.ts';
import { buildImageDocuments, type ImageDocuments, type ImageInputs } from './image.ts';
import type { LayerSource } from './layer.ts';

type Layer = ImageInputs['layer'];

/**
 * Remembers the layer of an archive between runs (layer-record.ts). `recall` answers only for
 * the same archive, unchanged; `remember` is best effort and never throws.
 */
export interface LayerMemo {
  recall(): Promise<Layer | undefined>;
  remember(layer: Layer): Promise<void>;
}

export interface PushInputs extends Omit<ImageInputs, 'layer'> {
  client: RegistryClient;
  tag: string;
  layer: LayerSource;
  chunkSize?: number;
  log: (message: string) => void;
  memo?: LayerMemo;
}

/** Uploads the layer of the archive; returns the layer descriptor with its diff_id. */
export async function uploadLayer(
  client: RegistryClient,
  layer: LayerSource,
  chunkSize: number,
  log: (m: string) => void,
): Promise<Layer> {
  const blob = await client.uploadBlob(layer, {
    chunkSize,
    onResume: (offset, cause) =>
      log(`upload interrupted (${(cause as Error).message}); continuing from byte ${offset}`),
  });
  return { mediaType: layer.mediaType, ...blob, diffId: layer.diffId() ?? blob.digest };
}

/**
 * The layer recorded by an earlier run if the registry holds it, else the uploaded one, with
 * the recording of the latter (under way while the rest of the image is pushed).
 */
async function pushLayer(inputs: PushInputs): Promise<{ layer: Layer; recorded: Promise<void> }> {
  const { client, log, memo } = inputs;
  const recalled = await memo?.recall();
  if (recalled && (await client.blobExists(recalled.digest))) {
    log(`layer ${recalled.digest} is in the registry already (recorded by an earlier run)`);
    return { layer: recalled, recorded: Promise.resolve() };
  }
  const layer = await uploadLayer(client, inputs.layer, inputs.chunkSize ?? 0, log);
  log(`layer ${layer.digest} uploaded (${layer.size} bytes)`);
  return { layer, recorded: memo?.remember(layer) ?? Promise.resolve() };
}

/** Pushes the image and verifies it; returns the documents (the index digest names the image). */
export async function pushCheckpointImage(inputs: PushInputs): Promise<ImageDocuments> {
  const { client, tag } = inputs;
  // The config's upload is opened while the layer uploads (it names the layer's digest, so it
  // can only be sent after); a failure to open it shows again when the config is sent.
  const configUpload = client.openUpload().catch(() => undefined);
  const { layer, recorded } = await pushLayer(inputs);
  const docs = buildImageDocuments({ ...inputs, layer });
  await client.pushBlob(docs.config.body, await configUpload);
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
