/**
 * The image layer made from a checkpoint archive. The archive is itself the uncompressed
 * layer: a tar of the checkpoint's files at `/`, which is what `buildah add` of the archive
 * produces. With compression, the archive is gzipped on the fly while its uncompressed digest
 * (the config's diff_id) is computed in the same pass. Nothing is buffered beyond one chunk.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, pipeline } from 'node:stream';
import { constants, createGzip } from 'node:zlib';
import { mediaTypes } from '../registry/client.ts';
import type { BlobSource } from '../registry/upload.ts';

/** Read size: large enough to keep syscalls and per-chunk overhead negligible. */
const readChunkBytes = 1024 * 1024;

export interface LayerSource extends BlobSource {
  mediaType: string;
  /**
   * The uncompressed digest, known once a pass over the source has finished (for an
   * uncompressed layer it equals the blob digest, so undefined is returned).
   */
  diffId(): string | undefined;
}

export function archiveLayer(path: string, sizeBytes: number, compress: boolean): LayerSource {
  if (!compress) {
    return {
      mediaType: mediaTypes.layer,
      size: sizeBytes,
      open: () => createReadStream(path, { highWaterMark: readChunkBytes }),
      diffId: () => undefined,
    };
  }
  let lastDiffId: string | undefined;
  return {
    mediaType: mediaTypes.layerGzip,
    async *open() {
      const hash = createHash('sha256');
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      const gzip = createGzip({ level: constants.Z_BEST_SPEED, chunkSize: 256 * 1024 });
      const output = pipeline(
        createReadStream(path, { highWaterMark: readChunkBytes }),
        tap,
        gzip,
        () => {},
      );
      try {
        for await (const chunk of output) yield chunk as Buffer;
        lastDiffId = `sha256:${hash.digest('hex')}`;
      } finally {
        output.destroy();
      }
    },
    diffId: () => lastDiffId,
  };
}
