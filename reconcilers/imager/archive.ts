/**
 * Reads the structure of a checkpoint archive (an uncompressed tar, CRI-O/containerd layout)
 * without reading its contents: it walks the tar headers with positioned reads, verifies
 * every header checksum and that every entry fits in the file, and returns the small
 * metadata files (config.dump, spec.dump) that the image annotations come from.
 */
import { open } from 'node:fs/promises';
import { block, checksumValid, entryName, numberField, paxRecords } from '../tar/header.ts';

/** The archive cannot be imaged: missing, not a tar, truncated, not a checkpoint. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

export interface ArchiveInfo {
  /** Size of the archive file in bytes. */
  sizeBytes: number;
  /** Number of entries (files, directories, links…). */
  entries: number;
  /** Parsed JSON of the metadata files found, by name (`config.dump`, `spec.dump`). */
  metadata: Record<string, unknown>;
}

const metadataFiles = new Set(['config.dump', 'spec.dump']);
const maxMetadataBytes = 4 * 1024 * 1024;

const windowBytes = 64 * 1024;

/** Scans the archive at `path`; throws {@link ArchiveError} when it cannot be imaged. */
export async function scanCheckpointArchive(path: string): Promise<ArchiveInfo> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new ArchiveError(`cannot open checkpoint archive "${path}": ${(err as Error).message}`);
  }
  try {
    const stat = await file.stat();
    const { size } = stat;
    const fail = (why: string): never => {
      throw new ArchiveError(`"${path}" is not a usable checkpoint archive: ${why}`);
    };
    if (!stat.isFile()) fail('not a regular file');
    // Headers and metadata files are read through a 64 KiB window: the small entries of a
    // checkpoint archive come first, so a scan takes a few reads instead of one per header
    // (each a thread-pool round trip, on the critical path of a push).
    let window = { start: 0, data: Buffer.alloc(0) };
    const readAt = async (position: number, length: number): Promise<Buffer> => {
      const offset = position - window.start;
      if (offset < 0 || offset + length > window.data.length) {
        const buffer = Buffer.allocUnsafe(Math.max(length, windowBytes));
        const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
        window = { start: position, data: buffer.subarray(0, bytesRead) };
        return window.data.subarray(0, length);
      }
      return window.data.subarray(offset, offset + length);
    };
    const metadata: Record<string, unknown> = {};
    let position = 0;
    let entries = 0;
    let longName: string | undefined;
    let paxSize: number | undefined;
    while (position < size) {
      const header = await readAt(position, block);
      if (header.length < block)
        fail(
          position === 0 ? 'not a tar archive (too short)' : `truncated header at byte ${position}`,
        );
      if (header.every((b) => b === 0)) break; // end-of-archive marker
      if (!checksumValid(header))
        fail(
          position === 0
            ? 'not a tar archive (bad header checksum)'
            : `corrupt tar header at byte ${position}`,
        );
      const type = String.fromCharCode(header[156]!);
      const entrySize = paxSize ?? numberField(header, 124, 12);
      if (!Number.isSafeInteger(entrySize) || entrySize < 0)
        fail(`bad entry size at byte ${position}`);
      const dataStart = position + block;
      const next = dataStart + Math.ceil(entrySize / block) * block;
      if (dataStart + entrySize > size)
        fail(`truncated: the entry at byte ${position} needs ${entrySize} bytes`);
      if (type === 'L' || type === 'x') {
        const data = await readAt(dataStart, Math.min(entrySize, maxMetadataBytes));
        if (type === 'L') longName = data.toString('utf8').replace(/\0+$/, '');
        else {
          const pax = paxRecords(data);
          if (pax.path) longName = pax.path;
          if (pax.size) paxSize = /^\d+$/.test(pax.size) ? Number(pax.size) : NaN;
        }
      } else if (type !== 'g') {
        const name = entryName(header, longName);
        if ((type === '0' || type === '\0') && metadataFiles.has(name)) {
          if (entrySize > maxMetadataBytes)
            fail(`${name} is larger than ${maxMetadataBytes} bytes`);
          try {
            metadata[name] = JSON.parse((await readAt(dataStart, entrySize)).toString('utf8'));
          } catch (err) {
            fail(`${name} is not JSON (${(err as Error).message})`);
          }
        }
        entries++;
        longName = undefined;
        paxSize = undefined;
      }
      position = next;
    }
    if (entries === 0) fail('no entries (not a tar archive?)');
    for (const name of metadataFiles) {
      if (!(name in metadata)) fail(`${name} is missing (not a container checkpoint archive)`);
    }
    return { sizeBytes: size, entries, metadata };
  } finally {
    await file.close();
  }
}
