/**
 * Extracts a tar stream under a root directory without ever writing outside it: names that are
 * absolute or climb (`..`) are refused, every existing path component is checked with lstat and
 * an entry whose path goes through a symlink is refused (a symlink is never followed, whether it
 * came with the image or from an earlier entry), files are opened with O_NOFOLLOW, hard links
 * must name a regular file under the root, and symlinks whose relative target climbs above the
 * root are refused (absolute targets are read in the container's root, so they stay). Nothing
 * else runs in the root meanwhile (the container is not started yet), so checking then writing
 * is not raced. Devices, FIFOs and sockets are refused: the restore never creates them.
 */
import {
  chmodSync,
  closeSync,
  constants,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { tarEntries, type TarEntry } from './reader.ts';

/** An entry that would leave the root, or that the policy does not allow. */
export class UnsafeEntryError extends Error {
  override name = 'UnsafeEntryError';
}

export interface ExtractPolicy {
  /** Symlinks and hard links allowed (a container's rootfs diff); else files and dirs only. */
  links: boolean;
  /** Owners and times from the archive (the rootfs diff); else root-owned, now. */
  preserveOwners: boolean;
}

/** The path components of `name`, refused when it is absolute or climbs. */
export function safeComponents(name: string): string[] {
  if (name.startsWith('/')) throw new UnsafeEntryError(`"${name}" is an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeEntryError(`"${name}" climbs out with ".."`);
  return parts;
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The host path of `parts` under `root`, with every parent a real directory (created where
 * missing, root-owned 0755, unless `create` is false), never a symlink.
 */
export function securePath(root: string, parts: string[], name: string, create = true): string {
  let path = root;
  for (let i = 0; i < parts.length - 1; i++) {
    path = join(path, parts[i]!);
    const stat = lstatOrUndefined(path);
    if (!stat && create) mkdirSync(path, 0o755);
    else if (!stat)
      return join(path, ...parts.slice(i + 1)); // nothing there to reach
    else if (stat.isSymbolicLink())
      throw new UnsafeEntryError(`"${name}" goes through the symlink "${path.slice(root.length)}"`);
    else if (!stat.isDirectory())
      throw new UnsafeEntryError(`"${name}" goes through "${path.slice(root.length)}", a file`);
  }
  return join(path, parts[parts.length - 1]!);
}

/** Removes whatever is at `path` (a symlink itself, never its target). */
function clear(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Extracts `source` under `root`; resolves to the number of entries written. */
export async function extractTar(
  source: AsyncIterable<Buffer>,
  root: string,
  policy: ExtractPolicy,
): Promise<number> {
  let count = 0;
  for await (const { entry, contents } of tarEntries(source)) {
    const parts = safeComponents(entry.name);
    if (parts.length === 0) continue; // the root itself
    const path = securePath(root, parts, entry.name);
    const existing = lstatOrUndefined(path);
    switch (entry.type) {
      case 'dir':
        if (existing && !existing.isDirectory()) clear(path);
        if (!existing?.isDirectory()) mkdirSync(path, 0o700);
        break;
      case 'file': {
        if (existing) clear(path);
        const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
        const fd = openSync(path, flags | constants.O_NOFOLLOW, 0o600);
        try {
          for await (const piece of contents) writeSync(fd, piece);
        } finally {
          closeSync(fd);
        }
        break;
      }
      case 'symlink':
        if (!policy.links) throw new UnsafeEntryError(`"${entry.name}" is a symlink`);
        checkLinkTarget(parts, entry);
        if (existing) clear(path);
        symlinkSync(entry.linkName, path);
        break;
      case 'hardlink': {
        if (!policy.links) throw new UnsafeEntryError(`"${entry.name}" is a hard link`);
        const target = securePath(root, safeComponents(entry.linkName), entry.linkName);
        if (!lstatOrUndefined(target)?.isFile())
          throw new UnsafeEntryError(`"${entry.name}" links to "${entry.linkName}", not a file`);
        if (existing) clear(path);
        linkSync(target, path);
        break;
      }
      default:
        throw new UnsafeEntryError(
          `"${entry.name}" is a device, FIFO or socket (tar type "${entry.flag}")`,
        );
    }
    if (entry.type !== 'hardlink') settle(path, entry, policy);
    count++;
  }
  return count;
}

/** A relative symlink target that climbs above the root means nothing in a container. */
function checkLinkTarget(parts: string[], entry: TarEntry): void {
  if (entry.linkName.startsWith('/')) return;
  let level = parts.length - 1;
  for (const step of entry.linkName.split('/')) {
    if (step === '..') level--;
    else if (step !== '' && step !== '.') level++;
    if (level < 0)
      throw new UnsafeEntryError(`"${entry.name}" points out of the root ("${entry.linkName}")`);
  }
}

function settle(path: string, entry: TarEntry, policy: ExtractPolicy): void {
  if (policy.preserveOwners) lchownSync(path, entry.uid, entry.gid);
  if (entry.type !== 'symlink') chmodSync(path, entry.mode & 0o7777);
  if (policy.preserveOwners) lutimesSync(path, entry.mtime, entry.mtime);
}

/**
 * Removes the paths a checkpoint's `deleted.files` lists (files the container deleted from its
 * image, as paths in the container: `/etc/motd`) under `root`, by the same rules.
 */
export function removeUnder(root: string, names: string[]): void {
  for (const name of names) {
    if (typeof name !== 'string') throw new UnsafeEntryError('deleted.files lists a non-string');
    const parts = safeComponents(name.replace(/^\/+/, ''));
    if (parts.length) clear(securePath(root, parts, name, false));
  }
}
