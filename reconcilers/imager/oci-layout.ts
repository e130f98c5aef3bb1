/**
 * Writes a checkpoint image as an OCI image layout directory (for sites without a registry):
 * `oci-layout`, `blobs/sha256/…`, and `index.json` naming the image index by tag
 * (`org.opencontainers.image.ref.name`). Other images already in the directory are kept.
 * Copy it to a registry with `skopeo copy --all oci:DIR:TAG docker://…` (`--all` keeps the
 * index and its annotations).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mediaTypes } from '../registry/client.ts';
import {
  buildImageDocuments,
  type Descriptor,
  type ImageDocuments,
  type ImageInputs,
  type LayerDescriptor,
} from './image.ts';
import type { LayerSource } from './layer.ts';

const refName = 'org.opencontainers.image.ref.name';

async function writeBlob(dir: string, digest: string, body: Buffer): Promise<void> {
  await writeFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), body);
}

/** Streams the layer into the layout; returns its descriptor. */
async function writeLayer(dir: string, layer: LayerSource): Promise<LayerDescriptor> {
  const blobs = join(dir, 'blobs', 'sha256');
  const partial = join(blobs, `.partial-${process.pid}`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    const file = await open(partial, 'w');
    try {
      // Each block is written before the next is read: the source may reuse its buffers.
      for await (const chunk of layer.open()) {
        hash.update(chunk);
        size += chunk.length;
        for (let at = 0; at < chunk.length;)
          at += (await file.write(chunk, at, chunk.length - at)).bytesWritten;
      }
    } finally {
      await file.close();
    }
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  const digest = `sha256:${hash.digest('hex')}`;
  await rename(partial, join(blobs, digest.slice('sha256:'.length)));
  return { mediaType: layer.mediaType, digest, size, diffId: layer.diffId() ?? digest };
}

export async function writeOciLayout(
  dir: string,
  tag: string,
  layer: LayerSource,
  inputs: Omit<ImageInputs, 'layer'>,
): Promise<ImageDocuments> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const docs = buildImageDocuments({ ...inputs, layer: await writeLayer(dir, layer) });
  for (const doc of [docs.config, docs.manifest, docs.index])
    await writeBlob(dir, doc.descriptor.digest, doc.body);
  let manifests: Descriptor[] = [];
  try {
    const existing = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
      manifests?: Descriptor[];
    };
    manifests = (existing.manifests ?? []).filter((d) => d.annotations?.[refName] !== tag);
  } catch {
    // a new layout
  }
  manifests.push({ ...docs.index.descriptor, annotations: { [refName]: tag } });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.index, manifests }),
  );
  return docs;
}
