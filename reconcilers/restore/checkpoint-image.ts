/**
 * A checkpoint image as the restored pod's fetch step left it on the node: an OCI image layout
 * (`blobs/sha256/…`) per container. Everything is verified from the digest the signed ticket
 * names down to the layer — the index or manifest, the config and the one layer each hash to
 * what names them — before a byte of it is used.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ociArch } from '../imager/annotations.ts';
import { mediaTypes, sha256Digest } from '../registry/client.ts';

export class CheckpointImageError extends Error {
  override name = 'CheckpointImageError';
}

interface Descriptor {
  mediaType?: string;
  digest: string;
}

export interface VerifiedCheckpoint {
  layer: string;
  gzip: boolean;
  architecture: string;
}

function blobPath(layout: string, digest: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new CheckpointImageError(`"${digest}" is not a sha256 digest`);
  return join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

function verifiedJson<T>(layout: string, digest: string, what: string): T {
  let data: Buffer;
  try {
    data = readFileSync(blobPath(layout, digest));
  } catch (err) {
    throw new CheckpointImageError(
      `the checkpoint's ${what} ${digest} is missing on the node (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  if (sha256Digest(data) !== digest)
    throw new CheckpointImageError(`the checkpoint's ${what} does not match its digest ${digest}`);
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch {
    throw new CheckpointImageError(`the checkpoint's ${what} ${digest} is not JSON`);
  }
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Verifies the image `digest` in `layout` for this node; returns its layer. */
export async function verifyCheckpointImage(
  layout: string,
  digest: string,
): Promise<VerifiedCheckpoint> {
  let manifest = verifiedJson<{
    mediaType?: string;
    manifests?: Descriptor[];
    config?: Descriptor;
    layers?: Descriptor[];
  }>(layout, digest, 'image');
  if (manifest.manifests) {
    const first = manifest.manifests[0];
    if (manifest.manifests.length !== 1 || !first)
      throw new CheckpointImageError('the checkpoint index does not name exactly one manifest');
    manifest = verifiedJson(layout, first.digest, 'manifest');
  }
  const layers = manifest.layers ?? [];
  if (!manifest.config || layers.length !== 1)
    throw new CheckpointImageError(
      'the checkpoint manifest does not have one config and one layer',
    );
  const config = verifiedJson<{ architecture?: string; os?: string }>(
    layout,
    manifest.config.digest,
    'config',
  );
  const here = ociArch(process.arch);
  if (config.architecture !== here || config.os !== 'linux')
    throw new CheckpointImageError(
      `the checkpoint was taken on ${config.os}/${config.architecture}; this node is linux/${here}`,
    );
  const layer = layers[0]!;
  const path = blobPath(layout, layer.digest);
  let actual: string;
  try {
    actual = await fileDigest(path);
  } catch (err) {
    throw new CheckpointImageError(
      `the checkpoint's layer ${layer.digest} is missing on the node (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  if (actual !== layer.digest)
    throw new CheckpointImageError(
      `the checkpoint's layer is truncated or tampered with: it hashes to ${actual}, not ${layer.digest}`,
    );
  return {
    layer: path,
    gzip: layer.mediaType === mediaTypes.layerGzip,
    architecture: config.architecture,
  };
}
