/**
 * Reads a tar stream entry by entry (ustar, pax and GNU long names), for extraction: each
 * entry's contents are handed out as a stream of pieces, read once, never buffered whole.
 */
import { block, checksumValid, entryName, numberField, paxRecords, stringField } from './header.ts';

/** The stream is not a tar archive, or is truncated or corrupt. */
export class TarError extends Error {
  override name = 'TarError';
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** The name as stored, without a leading `./`. */
  name: string;
  type: EntryType;
  /** The type flag, for messages about `other` entries. */
  flag: string;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  /** Target of a symlink or hard link. */
  linkName: string;
}

const types: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '5': 'dir',
  '2': 'symlink',
  '1': 'hardlink',
};
const maxMetadataBytes = 1024 * 1024;

/** Exact-length reads over a stream of chunks. */
class Bytes {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer>) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  private async more(): Promise<boolean> {
    const next = await this.chunks.next();
    if (next.done) return false;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, next.value]) : next.value;
    return true;
  }

  /** `n` bytes, or fewer at the end of the stream. */
  async take(n: number): Promise<Buffer> {
    while (this.buffer.length < n && (await this.more()));
    const out = this.buffer.subarray(0, Math.min(n, this.buffer.length));
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }

  /** The next `n` bytes as pieces; throws when the stream ends first. */
  async *pieces(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!this.buffer.length && !(await this.more()))
        throw new TarError(`truncated: ${what} needs ${left} more bytes`);
      const piece = this.buffer.subarray(0, Math.min(left, this.buffer.length));
      this.buffer = this.buffer.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
  }
}

/**
 * The entries of the tar stream `source`. The consumer reads (or skips) an entry's `contents`
 * before asking for the next entry; what it leaves unread is skipped.
 */
export async function* tarEntries(
  source: AsyncIterable<Buffer>,
): AsyncGenerator<{ entry: TarEntry; contents: AsyncIterable<Buffer> }> {
  const bytes = new Bytes(source);
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  let position = 0;
  for (;;) {
    const header = await bytes.take(block);
    if (header.length === 0 && position === 0) throw new TarError('empty (not a tar archive)');
    if (header.length < block) throw new TarError(`truncated header at byte ${position}`);
    if (header.every((b) => b === 0)) return;
    if (!checksumValid(header))
      throw new TarError(
        position === 0
          ? 'not a tar archive (bad header checksum)'
          : `corrupt header at ${position}`,
      );
    const flag = String.fromCharCode(header[156]!);
    const size = pax.size !== undefined ? Number(pax.size) : numberField(header, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0)
      throw new TarError(`bad entry size at byte ${position}`);
    const padded = Math.ceil(size / block) * block;
    position += block + padded;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > maxMetadataBytes) throw new TarError(`an extended header of ${size} bytes`);
      const data = Buffer.concat(await fromAsync(bytes.pieces(padded, 'an extended header')));
      const text = data.subarray(0, size);
      if (flag === 'x') pax = { ...pax, ...paxRecords(text) };
      if (flag === 'L') longName = text.toString('utf8').replace(/\0+$/, '');
      if (flag === 'K') longLink = text.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const entry: TarEntry = {
      name: entryName(header, pax.path ?? longName),
      type: types[flag] ?? 'other',
      flag,
      mode: numberField(header, 100, 8),
      uid: pax.uid !== undefined ? Number(pax.uid) : numberField(header, 108, 8),
      gid: pax.gid !== undefined ? Number(pax.gid) : numberField(header, 116, 8),
      mtime: pax.mtime !== undefined ? Number(pax.mtime) : numberField(header, 136, 12),
      size: types[flag] === 'file' ? size : 0,
      linkName: pax.linkpath ?? longLink ?? stringField(header, 157, 100),
    };
    longName = longLink = undefined;
    pax = {};
    const contents = bytes.pieces(padded, `entry "${entry.name}"`);
    const remaining = withoutPadding(contents, entry.size);
    yield { entry, contents: remaining };
    await drain(contents); // what the consumer left, and the padding
  }
}

/** The first `size` bytes of `pieces` (the rest is the block padding, read by the caller). */
async function* withoutPadding(
  pieces: AsyncGenerator<Buffer>,
  size: number,
): AsyncGenerator<Buffer> {
  let left = size;
  while (left > 0) {
    const next = await pieces.next();
    if (next.done) return;
    const piece = next.value.subarray(0, Math.min(left, next.value.length));
    left -= piece.length;
    if (next.value.length > piece.length) {
      await drain(pieces); // the padding after the contents
    }
    yield piece;
  }
}

async function drain(items: AsyncIterator<unknown>): Promise<void> {
  while (!(await items.next()).done);
}

async function fromAsync<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
