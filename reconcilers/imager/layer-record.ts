/**
 * The layer of an archive, recorded next to it (`<archive>.layer.json`) once it has been
 * uploaded, so that a re-run of the imaging Job (the operator crashed, a transient failure
 * after the upload) skips the upload when the registry already holds the layer. Without it a
 * re-run would upload the whole layer again: its digest is only known once the archive has
 * been read, and reading it twice on every first run would cost more than retries save.
 *
 * The record is trusted only for the very same file, unchanged: it holds the archive's device,
 * inode, size, mtime and ctime (nanoseconds), as seen before and after the upload read it.
 * Any write to the file changes its ctime, which no system call can set back. A file changed
 * within the last second before the read is not recorded: a later change could fall in the
 * same timestamp tick and go unseen (git's "racy clean" case). Kubelet archives are finished
 * long before they are imaged. The record names the repository and media type it is valid for.
 */
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isDigest } from '../registry/reference.ts';
import type { LayerDescriptor } from './image.ts';

/** Identity of a file's content as far as its inode tells. */
export interface FileIdentity {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
  /** True when the file had not changed for a second when this was taken. */
  settled: boolean;
}

type Inode = Omit<FileIdentity, 'settled'>;

interface StoredRecord {
  repository: string;
  layer: LayerDescriptor;
  archive: Inode;
}

/** Files changed more recently than this before being read are not recorded. */
const settleNs = 1_000_000_000n;

export function layerRecordPath(archive: string): string {
  return `${archive}.layer.json`;
}

export async function fileIdentity(path: string): Promise<FileIdentity> {
  const s = await stat(path, { bigint: true });
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    dev: String(s.dev),
    ino: String(s.ino),
    size: String(s.size),
    mtimeNs: String(s.mtimeNs),
    ctimeNs: String(s.ctimeNs),
    settled: s.ctimeNs < now - settleNs,
  };
}

function sameFile(a: Inode, b: Inode): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

/**
 * The layer recorded for `archive` as it is now, for `repository` and `mediaType`; undefined
 * when there is no record, or it is for another file, content, repository or media type.
 */
export async function recalledLayer(
  archive: string,
  repository: string,
  mediaType: string,
): Promise<LayerDescriptor | undefined> {
  try {
    const record = JSON.parse(await readFile(layerRecordPath(archive), 'utf8')) as StoredRecord;
    const { layer } = record;
    if (record.repository !== repository || layer.mediaType !== mediaType) return undefined;
    if (!isDigest(layer.digest) || !isDigest(layer.diffId) || !Number.isSafeInteger(layer.size))
      return undefined;
    return sameFile(record.archive, await fileIdentity(archive)) ? layer : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records `layer` as the layer of `archive`, read when the file was `before`; does nothing
 * when the file was not settled then or has changed since. Returns why it did not record.
 */
export async function recordLayer(
  archive: string,
  before: FileIdentity,
  repository: string,
  layer: LayerDescriptor,
): Promise<string | undefined> {
  if (!before.settled) return 'the archive changed less than a second before it was read';
  const { dev, ino, size, mtimeNs, ctimeNs } = before;
  const archiveInode = { dev, ino, size, mtimeNs, ctimeNs };
  if (!sameFile(archiveInode, await fileIdentity(archive)))
    return 'the archive changed while it was read';
  const path = layerRecordPath(archive);
  const record: StoredRecord = { repository, layer, archive: archiveInode };
  await writeFile(`${path}.tmp`, JSON.stringify(record));
  await rename(`${path}.tmp`, path);
  return undefined;
}

export async function forgetLayer(archive: string): Promise<void> {
  await rm(layerRecordPath(archive), { force: true });
}
