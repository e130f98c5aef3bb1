/**
 * The image layer made from a checkpoint archive. The archive is itself the uncompressed
 * layer: a tar of the checkpoint's files at `/`, which is what `buildah add` of the archive
 * produces. With compression, the archive is gzipped on the fly while its uncompressed digest
 * (the config's diff_id) is computed in the same pass.
 *
 * Compression uses every core: each 1 MiB read is compressed on its own, on libuv's thread
 * pool, a few at a time, and the results are emitted in order as consecutive gzip members
 * (RFC 1952 allows several; Go's gzip reader, hence containerd and CRI-O, reads them as one
 * stream). Blocks that do not compress are stored. The output is deterministic, so an
 * interrupted upload can regenerate it, and at most `cores + 1` blocks are in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { constants, deflateRaw, gzip } from 'node:zlib';
import { mediaTypes } from '../registry/client.ts';
import { ArchiveError } from './archive.ts';
import type { BlobSource } from '../registry/upload.ts';

/** Read size, and the size of a gzip member. */
const readChunkBytes = 1024 * 1024;
const gzipAsync = promisify(gzip);
const deflateRawAsync = promisify(deflateRaw);
const sampleBytes = 64 * 1024;

/**
 * One gzip member. A block whose first 64 KiB do not shrink (random or already compressed
 * memory) is stored rather than deflated: deflate would spend a core to gain nothing.
 */
async function gzipMember(block: Buffer): Promise<Buffer> {
  const sample = block.subarray(0, sampleBytes);
  const probe = await deflateRawAsync(sample, { level: constants.Z_BEST_SPEED });
  const incompressible = probe.length > sample.length * 0.9;
  const level = incompressible ? constants.Z_NO_COMPRESSION : constants.Z_BEST_SPEED;
  return gzipAsync(block, { level });
}

export interface LayerSource extends BlobSource {
  mediaType: string;
  /**
   * The uncompressed digest, known once a pass over the source has finished (for an
   * uncompressed layer it equals the blob digest, so undefined is returned).
   */
  diffId(): string | undefined;
}

/**
 * The file's bytes in 1 MiB blocks read into two buffers in turn: the next block is read
 * while the caller uses the current one, which is overwritten once the caller asks for the
 * block after (the BlobSource contract). Reusing two buffers instead of allocating one per
 * block halves the CPU cost of reading (no fresh pages to fault in) and keeps RSS flat.
 */
async function* readBlocks(path: string): AsyncGenerator<Buffer> {
  const file = await open(path, 'r');
  const buffers = [Buffer.allocUnsafeSlow(readChunkBytes), Buffer.allocUnsafeSlow(readChunkBytes)];
  let reading = file.read(buffers[0]!, 0, readChunkBytes, null);
  try {
    for (let i = 1; ; i++) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) return;
      reading = file.read(buffers[i % 2]!, 0, readChunkBytes, null);
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await reading.catch(() => undefined); // never close the file under a read
    await file.close();
  }
}

/**
 * The archive's blocks, checked against the size it had when it was scanned: an archive that
 * grows, shrinks or goes while it is read is bad input (exit 2), not a registry failure.
 */
async function* sizedBlocks(
  blocks: AsyncIterable<Buffer>,
  path: string,
  size: number,
): AsyncGenerator<Buffer> {
  let read = 0;
  try {
    for await (const block of blocks) {
      read += block.length;
      if (read > size)
        throw new ArchiveError(`"${path}" grew while it was read (from ${size} bytes)`);
      yield block;
    }
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(`cannot read "${path}": ${(err as Error).message}`);
  }
  if (read < size)
    throw new ArchiveError(`"${path}" shrank while it was read: ${read} of ${size} bytes`);
}

export function archiveLayer(path: string, sizeBytes: number, compress: boolean): LayerSource {
  if (!compress) {
    return {
      mediaType: mediaTypes.layer,
      size: sizeBytes,
      open: () => sizedBlocks(readBlocks(path), path, sizeBytes),
      diffId: () => undefined,
    };
  }
  let lastDiffId: string | undefined;
  const inFlight = Math.min(availableParallelism(), 4);
  return {
    mediaType: mediaTypes.layerGzip,
    async *open() {
      const hash = createHash('sha256');
      const pending: Promise<Buffer>[] = [];
      const blocks = createReadStream(path, { highWaterMark: readChunkBytes });
      for await (const block of sizedBlocks(blocks, path, sizeBytes)) {
        hash.update(block as Buffer);
        const member = gzipMember(block as Buffer);
        member.catch(() => {}); // awaited below; this only keeps an abandoned pass quiet
        pending.push(member);
        if (pending.length > inFlight) yield await pending.shift()!;
      }
      while (pending.length) yield await pending.shift()!;
      lastDiffId = `sha256:${hash.digest('hex')}`;
    },
    diffId: () => lastDiffId,
  };
}
